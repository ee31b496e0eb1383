package dev.nest.driver.containerd;

import containerd.services.tasks.v1.KillRequest;
import containerd.services.tasks.v1.WaitRequest;
import containerd.services.tasks.v1.WaitResponse;
import dev.nest.spi.AbstractPod;
import dev.nest.spi.PodListener;
import dev.nest.spi.PodStop;
import dev.nest.spi.SandboxException;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One started container. Its exit is watched by a {@code Tasks.Wait} call made before the task starts, which
 * completes {@link #exited()} with the exit status, or -1 when the watch broke (containerd restarted or went
 * away). Its output is read from FIFOs ({@link PodOutput}). A task killed by SIGKILL whose memory cgroup
 * counted an OOM kill says so in one last stderr line before {@link #exited()} completes.
 *
 * <p>{@link #stop} may be called from any thread, more than once: SIGTERM, wait up to the grace period,
 * SIGKILL to every process of the task, then delete the task, the container, its snapshot and its lease
 * ({@link Resources#remove}). What cannot be removed now (containerd down) is left for {@code removeOrphans}
 * at the node's next start.
 */
final class ContainerdPod extends AbstractPod {
    private static final Logger LOG = Logger.getLogger(ContainerdPod.class.getName());
    /** How long the exit watch waits for the output FIFOs to deliver the last lines of an exited task. */
    private static final long OUTPUT_DRAIN_MS = 1_000;

    private final Resources resources;
    private final String image;
    private final ContainerdSandboxDriver.Timings timings;
    private final ContainerdEngine engine;
    private final PodOutput output;
    private final Object stopLock = new Object();
    private volatile Context.CancellableContext watch;
    private volatile int pid;
    private volatile dev.nest.spi.UsageReader.Cgroup cgroup;

    private final java.util.Optional<java.nio.file.Path> hostSocket;

    /** @param hostSocket the node-side path of the socket mounted at {@code /nest/host}, if the pod has one */
    ContainerdPod(String id, Resources resources, String image, long memoryBytes, ContainerdSandboxDriver.Timings timings, ContainerdEngine engine,
                  PodOutput output, java.util.Optional<java.nio.file.Path> hostSocket) {
        super(id, memoryBytes);
        this.hostSocket = hostSocket;
        this.resources = resources;
        this.image = image;
        this.timings = timings;
        this.engine = engine;
        this.output = output;
    }

    /** Starts the exit watch (before the task is started, so that no exit is missed). */
    void watch(PodListener listener) {
        Context.CancellableContext ctx = Context.current().withCancellation();
        watch = ctx;
        ctx.run(() -> engine.tasksAsync().wait(WaitRequest.newBuilder().setContainerId(resources.containerId()).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(WaitResponse r) {
                        exit((int) r.getExitStatus(), listener);
                    }

                    @Override
                    public void onError(Throwable t) {
                        if (!stopping() && !ContainerdEngine.is(t, Status.Code.NOT_FOUND)) {
                            LOG.warning("lost the watch on container " + resources.containerId() + " of pod " + id() + " ("
                                    + ContainerdEngine.reason(t) + "); treating the pod as exited");
                        }
                        exit(-1, listener);
                    }

                    @Override
                    public void onCompleted() {
                        exit(-1, listener);
                    }
                }));
    }

    void started(int pid) {
        this.pid = pid;
    }

    /** The task's usage from its cgroup, found once from the task's pid (a file read; tried again while not found). */
    java.util.Optional<dev.nest.spi.PodUsage> usage(dev.nest.spi.UsageReader reader) {
        int p = pid;
        if (p <= 0 || exited().isDone() || stopping()) {
            return java.util.Optional.empty();
        }
        dev.nest.spi.UsageReader.Cgroup c = cgroup;
        if (c == null) {
            c = reader.cgroupOf(p).orElse(null);
            if (c == null) {
                return java.util.Optional.empty();
            }
            cgroup = c;
        }
        return reader.read(c);
    }

    String containerId() {
        return resources.containerId();
    }

    private void exit(int code, PodListener listener) {
        output.release();
        if (exited().isDone()) {
            return;
        }
        if (!stopping()) {
            output.awaitEnd(OUTPUT_DRAIN_MS);
            if (code == 137 && oomKilled()) {
                listener.line(id(), true, outOfMemoryLine(resources.containerId()));
            }
        }
        exited().complete(code);
    }

    /** Whether the task's memory cgroup (cgroup v1 or v2, still there until the task is deleted) counted an OOM kill. */
    private boolean oomKilled() {
        String cg = "nest/" + resources.containerId();
        for (Path p : new Path[] {Path.of("/sys/fs/cgroup/memory", cg, "memory.oom_control"), Path.of("/sys/fs/cgroup", cg, "memory.events")}) {
            try {
                for (String line : Files.readAllLines(p)) {
                    if (line.startsWith("oom_kill ") && !line.equals("oom_kill 0")) {
                        return true;
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // not this cgroup version, or gone
            }
        }
        return false;
    }

    @Override
    public void stop(Duration grace) {
        synchronized (stopLock) {
            super.stop(grace);
        }
    }

    @Override
    protected void terminate() {
        signal(15, false);
    }

    /** SIGKILL to every process of the task, a wait for its exit, then the removal of all it held. */
    @Override
    protected boolean force() {
        if (!exited().isDone()) {
            signal(9, true);
            PodStop.await(exited(), FORCE_WAIT);
        }
        try {
            resources.remove(engine);
        } catch (SandboxException e) {
            LOG.warning("cannot remove container " + resources.containerId() + " of pod " + id() + " (left for the next "
                    + "start's orphan removal): " + e.getMessage());
        }
        return false;
    }

    @Override
    protected void released() {
        Context.CancellableContext w = watch;
        if (w != null) {
            w.cancel(null);
        }
        output.close();
    }

    private void signal(int signal, boolean all) {
        try {
            engine.call("send signal " + signal + " to container " + resources.containerId(), () -> engine.tasks().kill(
                    KillRequest.newBuilder().setContainerId(resources.containerId()).setSignal(signal).setAll(all).build()));
        } catch (StatusRuntimeException e) {
            // not found / not running: already gone
            LOG.log(Level.FINE, "signal " + signal + " to " + resources.containerId() + ": " + ContainerdEngine.reason(e));
        } catch (SandboxException e) {
            LOG.log(Level.FINE, "signal " + signal + " to " + resources.containerId() + " failed", e);
        }
    }

    @Override
    public java.util.Optional<java.nio.file.Path> hostSocket() {
        return hostSocket;
    }

    @Override
    public String describe() {
        return "container " + resources.containerId() + " (containerd, image " + image + ", pid " + pid + "; start: " + timings + ")";
    }
}
