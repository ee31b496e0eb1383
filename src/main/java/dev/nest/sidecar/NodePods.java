package dev.nest.sidecar;

import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.Pod;
import dev.nest.spi.PodSpec;
import dev.nest.spi.SandboxDriver;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The pods of this node, whether they run an instance or wait in a warm pool: their count against
 * {@code sidecar.max-pods}, their ids, ports and specs, starting one through the driver and waiting until its host
 * is healthy, and stopping an instance's pod (giving back its port and its place).
 *
 * <p>Capacity is a reservation: a start {@link #reserve reserves} a place before it begins and the place is given
 * back when the pod stops or the start fails, so that parallel starts never exceed the limit together.
 *
 * <p>Failure: {@link #start} gives back the port of a pod it could not start (the caller gives back the
 * reservation); {@link #startHealthy} starts a pod again on another port when another process took its port
 * ({@link PortConflict}), and stops a pod whose start failed and gives back its port before it throws; stopping never throws (a pod that cannot be stopped is logged; the driver removes it as an orphan
 * on the next start of the node).
 *
 * <p>Thread-safe: called from start threads, the reconcile thread, pod exit callbacks and request threads.
 */
final class NodePods {
    private static final Logger LOG = Logger.getLogger(NodePods.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    static final String LOOPBACK = "127.0.0.1";

    private final NestConfig.Sidecar config;
    private final String nodeId;
    private final Path dataDir;
    private final Path codeRoot;
    private final SandboxDriver driver;
    private final RuntimeRegistry runtimes;
    private final Ports ports;
    private final LogCapture capture;
    private final LongSupplier nanoTime;
    private final AtomicInteger pods = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    private final String idPrefix = HexFormat.of().formatHex(RANDOM.generateSeed(3));

    /** A pod the driver started: its handle, its spec, a client of its host and the host's port. */
    record Started(Pod pod, PodSpec spec, HostClient client, int port) {
    }

    NodePods(NestConfig.Sidecar config, String nodeId, Path dataDir, Path codeRoot, SandboxDriver driver,
             RuntimeRegistry runtimes, Ports ports, LogCapture capture, LongSupplier nanoTime) {
        this.config = config;
        this.nodeId = nodeId;
        this.dataDir = dataDir;
        this.codeRoot = codeRoot;
        this.driver = driver;
        this.runtimes = runtimes;
        this.ports = ports;
        this.capture = capture;
        this.nanoTime = nanoTime;
    }

    String nodeId() {
        return nodeId;
    }

    int maxPods() {
        return config.maxPods();
    }

    RuntimeDefinition runtime(String name) {
        return runtimes.require(name);
    }

    /** A new id unique on this node and across its restarts: {@code prefix-<random><n>}. */
    String newId(String prefix) {
        return prefix + "-" + idPrefix + ids.incrementAndGet();
    }

    // ---- capacity ----------------------------------------------------------------------------------------

    /** Reserves a place for a pod; returns by how many pods the node is now above {@code sidecar.max-pods}. */
    int reserve() {
        return pods.incrementAndGet() - config.maxPods();
    }

    /** Gives back a place from {@link #reserve}. */
    void unreserve() {
        pods.decrementAndGet();
    }

    /** Whether one more pod fits under {@code sidecar.max-pods} now (nothing is reserved). */
    boolean belowCapacity() {
        return pods.get() < config.maxPods();
    }

    /** Whether more places are reserved than {@code sidecar.max-pods} allows. */
    boolean overCapacity() {
        return pods.get() > config.maxPods();
    }

    // ---- starting ----------------------------------------------------------------------------------------

    /**
     * Starts pod {@code podId} of {@code runtime} with {@code memoryMb} on a new port; its output goes to the
     * capture and to {@code recent}. Returns once the driver started it, not once it is healthy (see
     * {@link #awaitHealthy}).
     *
     * @throws RuntimeException when no port is free or the driver fails; the port is given back
     */
    Started start(String podId, RuntimeDefinition runtime, int memoryMb, Map<String, String> labels, RecentOutput recent) {
        return start(podId, runtime, memoryMb, labels, recent, false);
    }

    /** {@link #start}, of the runtime's merged host ({@code merged-launch}) when {@code merged}. */
    Started start(String podId, RuntimeDefinition runtime, int memoryMb, Map<String, String> labels, RecentOutput recent,
                  boolean merged) {
        int port = ports.allocate();
        try {
            String secret = HexFormat.of().formatHex(RANDOM.generateSeed(16));
            PodSpec spec = spec(podId, runtime, memoryMb, port, secret, labels, merged);
            HostClient client = new HostClient(LOOPBACK, port, secret, runtime.pipelining());
            return new Started(driver.start(spec, capture.listener(recent)), spec, client, port);
        } catch (RuntimeException e) {
            ports.release(port);
            throw e;
        }
    }

    /**
     * Starts a pod ({@link #start}) and waits until its host is healthy ({@link #awaitHealthy}). A host that exits
     * because another process took its port between the allocator's check and its bind ({@link PortConflict}) is
     * started again on a new port, under a new pod id ({@code podId-2}, ...), up to {@link PortConflict#MAX_ATTEMPTS}
     * starts in all, each logged. A start that fails is stopped and its port given back before this throws.
     *
     * @param of          names what is starting, for the errors
     * @param beforeStart called with each pod id before its start (the caller attributes the pod's output)
     * @throws InvokeException as {@link #start} and {@link #awaitHealthy}, for the last start
     */
    Started startHealthy(String of, String podId, RuntimeDefinition runtime, int memoryMb, Map<String, String> labels,
                         RecentOutput recent, java.util.function.Consumer<String> beforeStart) throws IOException {
        return startHealthy(of, podId, runtime, memoryMb, labels, recent, beforeStart, false);
    }

    /** {@link #startHealthy}, of the runtime's merged host when {@code merged}. */
    Started startHealthy(String of, String podId, RuntimeDefinition runtime, int memoryMb, Map<String, String> labels,
                         RecentOutput recent, java.util.function.Consumer<String> beforeStart, boolean merged)
            throws IOException {
        for (int attempt = 1; ; attempt++) {
            String id = attempt == 1 ? podId : podId + "-" + attempt;
            beforeStart.accept(id);
            long mark = recent.count();
            Started s = start(id, runtime, memoryMb, labels, recent, merged);
            try {
                awaitHealthy(of, s, recent);
                s.pod().hostSocket().flatMap(HostSocket::observe).ifPresent(s.client()::useSocket);
                return s;
            } catch (IOException | RuntimeException e) {
                java.util.concurrent.CompletableFuture<Integer> exited = s.pod().exited();
                java.util.Optional<Integer> exit = exited.isDone() && !exited.isCompletedExceptionally()
                        ? java.util.Optional.of(exited.join()) : java.util.Optional.empty();
                stopQuietly(s.pod());
                ports.release(s.port());
                if (!PortConflict.startAgain(exit, recent.since(mark), attempt)) {
                    throw e;
                }
                LOG.warning("the " + runtime.name() + " host of " + of + " (pod " + id + ") could not bind port "
                        + s.port() + ": another process took it; starting it again on another port (start "
                        + (attempt + 1) + " of at most " + PortConflict.MAX_ATTEMPTS + ")");
            }
        }
    }

    private PodSpec spec(String podId, RuntimeDefinition runtime, int memoryMb, int port, String secret,
                         Map<String, String> labels, boolean merged) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NEST_HOST_PORT", String.valueOf(port));
        env.put("NEST_HOST_ADDRESS", LOOPBACK);
        env.put("NEST_HOST_SECRET", secret);
        env.put("NEST_POD_ID", podId);
        env.put("NEST_PRELOAD", String.join(",", runtime.preload()));
        Path workDir = dataDir.resolve("pods").resolve(podId).resolve("work");
        if (merged) {
            env.put("NEST_HOST_MODE", "merged"); // container drivers run the image's entrypoint, not merged-launch
        }
        List<String> command = merged ? runtimes.mergedCommand(runtime, memoryMb) : runtimes.command(runtime, memoryMb);
        return new PodSpec(podId, runtime.name(), runtime.image(), command, env, runtime.dir(),
                codeRoot, LOOPBACK, port, memoryMb * 1024L * 1024L, 1.0, 256, labels, workDir);
    }

    /** Where the pod of {@code spec} sees {@code hostPath}. */
    String pathInPod(PodSpec spec, Path hostPath) {
        return driver.pathInPod(spec, hostPath);
    }

    /**
     * Polls the host's {@code /health} until it answers ready, pausing 1, 2, then 4 ms between polls.
     *
     * @param of names what is starting, for the errors
     * @throws InvokeException 502 when the pod exits first or {@code sidecar.start-timeout} passes, quoting its output
     */
    void awaitHealthy(String of, Started s, RecentOutput recent) throws IOException {
        long deadline = nanoTime.getAsLong() + config.startTimeout().toNanos();
        long pause = 1;
        while (true) {
            if (s.pod().exited().isDone()) {
                throw new InvokeException(502, "instance start failed", "the " + s.spec().runtime()
                        + " host of " + of + " exited with code " + s.pod().exited().join()
                        + " while starting" + recent.tail());
            }
            try {
                HostClient.Response r = s.client().call("GET", "/health", null, 2_000);
                if (r.status() == 200 && Json.tree(r.body(), "health").path("ready").asBoolean(false)) {
                    return;
                }
            } catch (ConnectException notYet) {
                // the host is not listening yet
            } catch (EOFException notYet) {
                // the host closed the connection while starting
            }
            if (nanoTime.getAsLong() > deadline) {
                throw new InvokeException(502, "instance start failed", "the host of " + of + " did not become healthy"
                        + " within sidecar.start-timeout " + config.startTimeout().toMillis() + " ms" + recent.tail());
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InvokeException(503, "interrupted", "interrupted while starting an instance");
            }
            pause = Math.min(pause * 2, 4); // a refused connect costs little; a late "ready" costs the request
        }
    }

    // ---- stopping ----------------------------------------------------------------------------------------

    /** Stops a pod at once; a failure is logged, not thrown. */
    void stopQuietly(Pod pod) {
        try {
            pod.stop(Duration.ZERO);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "stopping pod " + pod.id(), e);
        }
    }

    /** Gives back the port and the place of a pod that was stopped (or never started). */
    void released(int port) {
        if (port > 0) {
            ports.release(port);
        }
        unreserve();
    }

    /** {@link #stop Stops} {@code instance} on a new virtual thread. */
    void stopLater(Instance instance, Duration grace) {
        Thread.ofVirtual().start(() -> stop(instance, grace));
    }

    /** Drains {@code instance} and stops its pod within {@code grace}; nothing when it stopped already. */
    void stop(Instance instance, Duration grace) {
        if (!instance.moveTo(InstanceState.DRAINING) && instance.state() == InstanceState.STOPPED) {
            return;
        }
        if (instance.merged()) {
            // a merged pod is shared: the instance is unloaded (its requests in flight end first), not its pod
            instance.membership().ifPresent(m -> m.leave(true));
            release(instance);
            return;
        }
        Pod pod = instance.pod();
        try {
            if (pod != null) {
                pod.stop(grace);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "stopping " + instance + " failed", e);
        }
        release(instance);
    }

    /** Stops {@code instance}'s pod at once (a failed start, a dead pod); failures are logged at FINE. */
    void stopQuietly(Instance instance) {
        if (instance.merged()) {
            instance.moveTo(InstanceState.DRAINING);
            instance.membership().ifPresent(m -> m.leave(true));
            release(instance);
            return;
        }
        Pod pod = instance.pod();
        if (pod != null) {
            instance.moveTo(InstanceState.DRAINING);
            stopQuietly(pod);
        }
        release(instance);
    }

    /** The instance is gone: STOPPED, its place, port and client given back. Once per instance. */
    private void release(Instance instance) {
        if (!instance.moveTo(InstanceState.STOPPED)) {
            return;
        }
        capture.forget(instance);
        if (instance.merged()) {
            return; // the merged pod's client, port and place are its own (MergedPods)
        }
        if (instance.client() != null) {
            instance.client().close();
        }
        released(instance.port());
    }
}
