package dev.nest.driver.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.WaitResponse;
import dev.nest.spi.AbstractPod;
import dev.nest.spi.PodListener;
import dev.nest.spi.PodUsage;
import dev.nest.spi.UsageReader;
import dev.nest.spi.SandboxException;
import java.io.Closeable;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One started container. Two streams watch it from the moment it started: its output ({@link LogPump}) and
 * its exit (the engine's wait call), which completes {@link #exited()} with the exit code, or -1 when the
 * container vanished or the engine connection broke. A container that was killed for exceeding its memory
 * limit says so in one last stderr line before {@link #exited()} completes.
 *
 * <p>{@link #stop} may be called from any thread, more than once: SIGTERM, wait up to the grace period,
 * then remove with force (SIGKILL). A container that cannot be removed now (engine down) is left for
 * {@code removeOrphans} at the node's next start.
 */
final class DockerPod extends AbstractPod {
    private static final Logger LOG = Logger.getLogger(DockerPod.class.getName());
    /** How long the exit watch waits for the output stream to deliver the last lines of a stopped container. */
    private static final long OUTPUT_DRAIN_MS = 1_000;

    private final String containerId;
    private final String name;
    private final String image;
    private final DockerEngine engine;
    /** How long after a failed cgroup lookup {@link #usage} tries again. */
    private static final long CGROUP_RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private volatile UsageReader.Cgroup cgroup;
    private volatile long cgroupRetryAt;
    private volatile boolean cgroupTried;
    private volatile LogPump output;
    private volatile ExitWatch exitWatch;

    private final Optional<java.nio.file.Path> hostSocket;

    DockerPod(String id, String containerId, String name, String image, long memoryBytes, DockerEngine engine,
              Optional<java.nio.file.Path> hostSocket) {
        super(id, memoryBytes);
        this.hostSocket = hostSocket;
        this.containerId = containerId;
        this.name = name;
        this.image = image;
        this.engine = engine;
    }

    /** Opens the output and exit streams (no blocking: docker-java runs each on a thread of its own). */
    void watch(PodListener listener) {
        LogPump pump = new LogPump(id(), listener);
        output = pump;
        engine.streams().logContainerCmd(containerId).withStdOut(true).withStdErr(true).withFollowStream(true)
                .exec(pump);
        ExitWatch watch = new ExitWatch(listener);
        exitWatch = watch;
        engine.streams().waitContainerCmd(containerId).exec(watch);
    }

    String containerId() {
        return containerId;
    }

    /** The node-side path of the socket directory's {@code nest-host.sock} mounted at {@code /nest/host}, if any. */
    @Override
    public Optional<java.nio.file.Path> hostSocket() {
        return hostSocket;
    }

    @Override
    protected void terminate() {
        try {
            engine.call("send SIGTERM to container " + name, c -> c.killContainerCmd(containerId).withSignal("SIGTERM").exec());
        } catch (NotFoundException | ConflictException gone) {
            // not running any more: removal below finishes it
        } catch (DockerException | SandboxException e) {
            LOG.log(Level.FINE, "SIGTERM to " + name + " failed", e);
        }
    }

    /** Removes the container with force (SIGKILL); whether it is gone, so that its exit report is worth a wait. */
    @Override
    protected boolean force() {
        try {
            engine.call("remove container " + name, c -> c.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec());
            return true;
        } catch (NotFoundException gone) {
            return true;
        } catch (ConflictException inProgress) {
            return true; // "removal already in progress": another stop got there first
        } catch (DockerException | SandboxException e) {
            LOG.warning("cannot remove container " + name + " of pod " + id() + " (left for the next start's orphan "
                    + "removal): " + e.getMessage());
            return false;
        }
    }

    @Override
    protected void released() {
        closeStreams();
    }

    private void closeStreams() {
        LogPump o = output;
        if (o != null) {
            o.close();
        }
        ExitWatch w = exitWatch;
        if (w != null) {
            w.close();
        }
    }

    /**
     * The container's usage from its cgroup. The cgroup is found once, from the container's main pid (one inspect
     * call, on the first reading); a failed lookup is tried again after 10 s, not at every reading.
     */
    Optional<PodUsage> usage(UsageReader reader) {
        if (exited().isDone() || stopping()) {
            return Optional.empty();
        }
        UsageReader.Cgroup c = cgroup;
        if (c == null) {
            long now = System.nanoTime();
            if (cgroupTried && now - cgroupRetryAt < 0) {
                return Optional.empty();
            }
            cgroupTried = true;
            cgroupRetryAt = now + CGROUP_RETRY_NANOS;
            try {
                InspectContainerResponse r = engine.call("inspect container " + name, Duration.ofSeconds(2),
                        cl -> cl.inspectContainerCmd(containerId).exec());
                Long pid = r.getState() == null ? null : r.getState().getPidLong();
                if (pid == null || pid <= 0) {
                    return Optional.empty();
                }
                c = reader.cgroupOf(pid).orElse(null);
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "cannot find the cgroup of " + name, e);
                return Optional.empty();
            }
            if (c == null) {
                return Optional.empty();
            }
            cgroup = c;
        }
        return reader.read(c);
    }

    @Override
    public String describe() {
        return "container " + containerId.substring(0, Math.min(12, containerId.length())) + " (" + name + ", image "
                + image + ")";
    }

    /** The engine's wait call: answers with the exit code once the container is not running. */
    private final class ExitWatch implements ResultCallback<WaitResponse> {
        private final PodListener listener;
        private volatile Closeable stream;
        private volatile boolean closed;
        /** Set once the engine reported the exit; the stream then ends by itself. */
        private volatile boolean delivered;

        ExitWatch(PodListener listener) {
            this.listener = listener;
        }

        @Override
        public void onStart(Closeable stream) {
            this.stream = stream;
            if (closed) {
                LogPump.closeQuietly(stream);
            }
        }

        @Override
        public void onNext(WaitResponse response) {
            Integer code = response.getStatusCode();
            exit(code == null ? -1 : code);
        }

        @Override
        public void onError(Throwable error) {
            if (!(error instanceof NotFoundException) && !closed && !stopping()) {
                LOG.warning("lost the watch on container " + name + " of pod " + id() + " (" + DockerEngine.reason(error)
                        + "); treating the pod as exited");
            }
            exit(-1);
        }

        @Override
        public void onComplete() {
            exit(-1);
        }

        private void exit(int code) {
            delivered = true;
            if (exited().isDone()) {
                return;
            }
            if (!stopping()) {
                LogPump o = output;
                if (o != null) {
                    o.awaitEnd(OUTPUT_DRAIN_MS);
                }
                if (code == 137) {
                    reportOutOfMemory();
                }
            }
            exited().complete(code);
        }

        private void reportOutOfMemory() {
            try {
                InspectContainerResponse r = engine.call("inspect container " + name, Duration.ofSeconds(2),
                        c -> c.inspectContainerCmd(containerId).exec());
                if (r.getState() != null && Boolean.TRUE.equals(r.getState().getOOMKilled())) {
                    listener.line(id(), true, outOfMemoryLine(name));
                }
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "cannot inspect " + name + " after its exit", e);
            }
        }

        /**
         * Closes the stream if the engine has not answered yet. Once it has, closing is left out: it would
         * interrupt the stream's thread, which may be the very thread running {@link #stop} (the node agent
         * stops a dead pod from the {@link #exited()} callback).
         */
        @Override
        public void close() {
            closed = true;
            Closeable s = stream;
            if (s != null && !delivered) {
                LogPump.closeQuietly(s);
            }
        }
    }
}
