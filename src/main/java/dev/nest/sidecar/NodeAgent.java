package dev.nest.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.pool.PodFactory;
import dev.nest.pool.WarmPool;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.DriverHealth;
import dev.nest.spi.Pod;
import dev.nest.spi.PodLabels;
import dev.nest.spi.PodSpec;
import dev.nest.spi.SandboxDriver;
import dev.nest.store.LogLine;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node agent: owns this node's instances. The gateway asks it for a {@link Lease} on an instance of a
 * function version; it answers at once when an instance is free, otherwise queues the request and starts
 * instances (a cold start: pod, health, {@code /load}) in parallel, bounded by {@code sidecar.max-pods}.
 *
 * <p>Every second (and after each catalog change) it reconciles: keeps {@code scaling.min} instances of each
 * live version, stops instances idle for longer than {@code scaling.keep-alive} (instances of a version that is no
 * longer live: {@code sidecar.previous-version-keep-alive} after it stopped being live, so that a rollback finds
 * them warm), and stops everything of a
 * deleted function. An autoscaler may instead set a target per function ({@link #setTarget}): reconciliation then
 * keeps {@code max(scaling.min, target)} instances of the live version and stops idle ones above it at once; it
 * reads the node's load through {@link #load()} and hears of queued requests through {@link #onStarved}. A pod that dies is noticed through its driver; its instance leaves routing at once and
 * in-flight requests on it fail with 502, while waiting requests are served by a replacement.
 *
 * <p>Threads: {@link #acquire} is called on request threads (virtual), starts run on virtual threads,
 * reconciliation on one scheduler thread. Instance bookkeeping is guarded by each {@link InstanceSet}.
 */
public final class NodeAgent implements InstanceLeases, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeAgent.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final NestConfig.Sidecar config;
    private final String nodeId;
    private final Path dataDir;
    private final Path codeRoot;
    private final SandboxDriver driver;
    private final RuntimeRegistry runtimes;
    private final CodeSource code;
    private final WarmPool<PoolPod> pool;
    private final Consumer<LogLine> logs;
    private final FunctionCatalog catalog;
    private final Clock clock;
    private final PortAllocator ports;
    private final Map<VersionKey, InstanceSet> sets = new ConcurrentHashMap<>();
    private final Map<String, Instance> byPod = new ConcurrentHashMap<>();
    private final Map<FunctionId, String> lastStartError = new ConcurrentHashMap<>();
    private final Map<FunctionId, Integer> targets = new ConcurrentHashMap<>();
    private final List<Consumer<FunctionId>> starvedListeners = new CopyOnWriteArrayList<>();
    private final Set<FunctionId> starvedPending = ConcurrentHashMap.newKeySet();
    private final ExecutorService notifier = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("nest-agent-starved").daemon().unstarted(r));
    private final AtomicInteger pods = new AtomicInteger();
    private final AtomicLong coldStarts = new AtomicLong();
    private final AtomicLong ids = new AtomicLong();
    private final String idPrefix = HexFormat.of().formatHex(RANDOM.generateSeed(3));
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("nest-agent-reconcile").daemon().unstarted(r));
    private final ScheduledExecutorService usageTicker = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("nest-agent-usage").daemon().unstarted(r));
    private final UsageSampler usage;
    private volatile boolean closed;
    private volatile boolean started;

    /**
     * @param code     gives the unpacked directory of a package digest on this node
     * @param logs     receives every line the pods write
     */
    public NodeAgent(NestConfig.Sidecar config, String nodeId, Path dataDir, Path codeRoot, SandboxDriver driver,
                     RuntimeRegistry runtimes, CodeSource code, Consumer<LogLine> logs,
                     FunctionCatalog catalog, Clock clock) {
        this(config, nodeId, dataDir, codeRoot, driver, runtimes, code, logs, catalog, clock,
                task -> Thread.ofVirtual().name("nest-pool-start").start(task));
    }

    /** @param poolStarts runs the warm pools' pod starts (tests run them at once) */
        NodeAgent(NestConfig.Sidecar config, String nodeId, Path dataDir, Path codeRoot, SandboxDriver driver,
                     RuntimeRegistry runtimes, CodeSource code, Consumer<LogLine> logs,
                     FunctionCatalog catalog, Clock clock,
              java.util.concurrent.Executor poolStarts) {
        this.config = config;
        this.nodeId = nodeId;
        this.dataDir = dataDir;
        this.codeRoot = codeRoot;
        this.driver = driver;
        this.runtimes = runtimes;
        this.code = code;
        this.logs = logs;
        this.catalog = catalog;
        this.clock = clock;
        this.ports = new PortAllocator(config.portFrom(), config.portTo());
        this.usage = new UsageSampler(driver::usage, System::nanoTime);
        List<WarmPool.Runtime> pooled = new ArrayList<>();
        for (RuntimeDefinition r : runtimes.all()) {
            pooled.add(new WarmPool.Runtime(r.name(), config.pool().sizes().getOrDefault(r.name(), r.pool()), r.memoryMb()));
        }
        this.pool = new WarmPool<>(new PoolPods(), pooled, config.maxPods(), config.pool().idle(), System::nanoTime,
                poolStarts);
    }

    /** Removes pods left by an earlier run, starts reconciliation and the warm pools. */
    public void start() {
        start(true);
    }

    /**
     * Removes pods left by an earlier run, starts reconciliation, and the warm pools when {@code pools} (else
     * {@link #startPools} does, e.g. once the node is ready, so that pool pods do not compete with its start).
     */
    public void start(boolean pools) {
        int orphans = driver.removeOrphans(nodeId);
        if (orphans > 0) {
            LOG.info("removed " + orphans + " pods left behind by an earlier run of node " + nodeId);
        }
        started = true;
        catalog.addListener((id, now) -> scheduleReconcile());
        if (pools) {
            pool.start();
        }
        ticker.scheduleWithFixedDelay(this::reconcile, 0, 1, TimeUnit.SECONDS);
        usageTicker.scheduleAtFixedRate(this::sampleUsage, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Reads the CPU and memory of every ready instance's pod (see {@link UsageSampler}); once a second on the
     * {@code nest-agent-usage} thread, so that a slow driver read never delays reconciliation or requests.
     */
    void sampleUsage() {
        if (closed) {
            return;
        }
        try {
            for (InstanceSet set : sets.values()) {
                usage.sample(set.instances());
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "usage sampling failed; trying again next second", e);
        }
    }

    /**
     * Starts filling the warm pools (see {@link #start(boolean)}) one second from now: starting pool pods takes both
     * cores of a small node for a while, and a node that has just become ready answers its first requests first.
     */
    public void startPools() {
        pool.start(java.time.Duration.ofSeconds(1));
    }

    public SandboxDriver driver() {
        return driver;
    }

    public DriverHealth driverHealth() {
        return driver.health();
    }

    /** This node's warm pools. */
    public WarmPool<?> pool() {
        return pool;
    }

    public long coldStarts() {
        return coldStarts.get();
    }

    /** The last reason an instance of {@code id} failed to start, if its latest start failed. */
    public Optional<String> lastStartError(FunctionId id) {
        return Optional.ofNullable(lastStartError.get(id));
    }

    /** Map key of a version: cheap to hash (the id's strings cache their hashes). */
    private record VersionKey(FunctionId id, int version) {
    }

    private static VersionKey key(FunctionVersion v) {
        return new VersionKey(v.spec().id(), v.version());
    }

    // ---- the data path ---------------------------------------------------------------------------------

    /**
     * An instance of {@code version} for one invocation, without blocking: the warm path answers at once; a
     * request that must wait gets a future. Waiting ends at {@code deadlineNanos} or after {@code queue.timeout}.
     *
     * @throws InvokeException 429 when the function's queue is full, 503 when the node is stopping
     */
    @Override
    public Pending acquireAsync(FunctionVersion version, long deadlineNanos) {
        if (closed) {
            throw new InvokeException(503, "node shutting down", "this node is stopping; retry on another node");
        }
        InstanceSet set = sets.computeIfAbsent(key(version), k -> new InstanceSet(version));
        long now = System.nanoTime();
        InstanceSet.Grant g = set.acquire(now);
        if (g.instance() != null) {
            return new Pending(new Lease(g.instance(), false, 0, Map.of(), this), null, now, set, null);
        }
        FunctionSpec spec = version.spec();
        if (g.rejected()) {
            throw new InvokeException(429, "too many requests", "function " + spec.id() + " has " + spec.queue().size()
                    + " requests waiting for an instance (queue.size); retry later or raise scaling.max or queue.size");
        }
        launch(set, g.starts());
        if (!starvedListeners.isEmpty()) {
            starved(spec.id());
        }
        InstanceSet.Waiter w = g.waiter();
        CompletableFuture<Lease> later = w.future.thenApply(h -> {
            double waited = (System.nanoTime() - w.sinceNanos) / 1e6;
            if (!h.cold()) {
                return new Lease(h.instance(), false, waited, Map.of(), this);
            }
            // a cold request's wait is mostly its instance's start: report the start's phases separately
            Map<String, Double> start = ordered(h.instance().startPhases);
            double starting = start.values().stream().mapToDouble(Double::doubleValue).sum();
            return new Lease(h.instance(), true, Math.max(0, waited - starting), start, this);
        });
        return new Pending(null, later, Math.min(deadlineNanos, now + spec.queue().timeout().toNanos()), set, w);
    }

    private static Map<String, Double> ordered(Map<String, Double> phases) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String name : START_PHASES) {
            Double ms = phases.get(name);
            if (ms != null) {
                out.put(name, ms);
            }
        }
        phases.forEach(out::putIfAbsent);
        return java.util.Collections.unmodifiableMap(out);
    }

    /**
     * Stops waiting. Returns the error to answer with, or empty when an instance was handed over at the same
     * moment (then {@link Pending#later()} completes with it and must be used).
     */
    @Override
    public Optional<InvokeException> cancel(Pending p) {
        if (p.waiter == null || !p.set.cancel(p.waiter)) {
            return Optional.empty();
        }
        FunctionSpec spec = p.set.version().spec();
        String why = lastStartError.get(spec.id());
        return Optional.of(new InvokeException(503, "no instance available", "no instance of " + spec.id()
                + " became free within " + Math.round((p.waitUntilNanos() - p.waiter.sinceNanos) / 1e6) + " ms (scaling.max "
                + spec.scaling().max() + ", " + p.set.starting() + " starting" + (why == null ? "" : ", last start failed: " + why) + ")"));
    }

    /** Blocking form of {@link #acquireAsync}, for callers on their own (virtual) thread. */
    public Lease acquire(FunctionVersion version, long deadlineNanos) {
        Pending p = acquireAsync(version, deadlineNanos);
        if (p.now != null) {
            return p.now;
        }
        try {
            return p.later().get(Math.max(0, p.waitUntilNanos() - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            Optional<InvokeException> err = cancel(p);
            if (err.isPresent()) {
                throw err.get();
            }
            return p.later().join();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof InvokeException ie) {
                throw ie;
            }
            throw new InvokeException(502, "instance start failed", e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel(p);
            throw new InvokeException(503, "interrupted", "the request was interrupted while waiting for an instance");
        }
    }

    void release(Lease lease) {
        Instance i = lease.instance();
        if (lease.cold()) {
            afterColdStart(lease);
        }
        InstanceSet set = sets.get(key(i.version()));
        if (set == null) {
            return;
        }
        InstanceSet.Handoff next = set.release(i, System.nanoTime());
        if (next != null) {
            next.waiter().future.complete(next);
        } else if (!targets.isEmpty()) {
            stopIfAboveTarget(set, i);
        }
    }

    void recycle(Lease lease, String reason) {
        Instance i = lease.instance();
        if (lease.cold()) {
            afterColdStart(lease);
        }
        InstanceSet set = sets.get(key(i.version()));
        if (set != null) {
            int starts = set.remove(i);
            set.release(i, System.nanoTime());
            launch(set, starts);
        }
        LOG.warning("recycling instance " + i + ": " + reason);
        Thread.ofVirtual().start(() -> stop(i, java.time.Duration.ZERO));
    }

    /**
     * The first request on a pool pod finished: now the pool refills. Starting a pod earlier would compete for
     * the CPU with that pod's specialization and first request, the latency the pool exists to cut.
     */
    private void afterColdStart(Lease lease) {
        if (lease.startPhases().containsKey("pool")) {
            pool.refill();
        }
    }

    private void launch(InstanceSet set, int n) {
        FunctionSpec spec = set.version().spec();
        for (int k = 0; k < n; k++) {
            int over = pods.incrementAndGet() - config.maxPods();
            // pool pods count towards sidecar.max-pods; a start that will take one gives its reservation back, so
            // at capacity a start may still go ahead while the function's pool has a ready pod for it
            if (over > 0 && over > pool.available(spec.runtime(), spec.memoryMb())) {
                pods.decrementAndGet();
                set.startsAborted(n - k);
                LOG.warning("node at capacity (sidecar.max-pods " + config.maxPods() + "): cannot start "
                        + (n - k) + " instances of " + set.version().spec().id());
                lastStartError.put(set.version().spec().id(), "node at capacity (sidecar.max-pods " + config.maxPods() + ")");
                return;
            }
            long decided = System.nanoTime();
            Thread.ofVirtual().name("start-" + set.version().spec().id().name()).start(() -> startInstance(set, decided));
        }
    }

    // ---- starting an instance --------------------------------------------------------------------------

    /** Phase names of a cold start, in the order they happen (the lease reports them in this order). */
    static final List<String> START_PHASES = List.of("placement", "pool", "pod", "fetch", "decompress", "unpack",
            "load", "init");

    private void startInstance(InstanceSet set, long decidedNanos) {
        FunctionVersion v = set.version();
        FunctionSpec spec = v.spec();
        Instance inst = new Instance(v.spec().id().name() + "-" + v.version() + "-" + idPrefix + ids.incrementAndGet(), v,
                System.nanoTime());
        inst.startPhases.put("placement", (System.nanoTime() - decidedNanos) / 1e6);
        int port = -1;
        ArrayDeque<String> recent = new ArrayDeque<>();
        try {
            RuntimeDefinition runtime = runtimes.require(spec.runtime());
            long t0 = System.nanoTime();
            Optional<PoolPod> pooled = pool.take(runtime.name(), spec.memoryMb());
            Pod pod;
            PodSpec podSpec;
            HostClient client;
            if (pooled.isPresent()) {
                // a pool hit: the pod already counts towards sidecar.max-pods, so this start's reservation is returned
                pods.decrementAndGet();
                PoolPod pp = pooled.get();
                pp.taken.set(true);
                pod = pp.pod();
                podSpec = pp.spec();
                client = pp.client();
                port = pp.port();
                recent = pp.recent();
                byPod.put(pod.id(), inst);
                inst.attach(pod, client, port);
                inst.startPhases.put("pool", (System.nanoTime() - t0) / 1e6);
            } else {
                if (pods.get() > config.maxPods()) {
                    // this start went ahead at capacity for a pool pod that another start took first
                    throw new InvokeException(503, "node at capacity", "node " + nodeId + " runs sidecar.max-pods "
                            + config.maxPods() + " pods; retry later, lower the pool sizes or raise sidecar.max-pods");
                }
                port = ports.allocate();
                String secret = HexFormat.of().formatHex(RANDOM.generateSeed(16));
                Map<String, String> labels = Map.of(PodLabels.OWNER, "nest", PodLabels.NODE, nodeId,
                        PodLabels.FUNCTION, spec.id().toString(), PodLabels.VERSION, String.valueOf(v.version()));
                podSpec = podSpec(inst.id(), runtime, spec.memoryMb(), port, secret, labels);
                byPod.put(inst.id(), inst);
                pod = driver.start(podSpec, recorder(recent));
                client = new HostClient("127.0.0.1", port, secret);
                inst.attach(pod, client, port);
            }
            pod.exited().thenAccept(code -> onPodExit(inst, code));
            if (pooled.isEmpty()) {
                awaitHealthy(spec.runtime(), spec.id().toString(), pod, client, System.nanoTime() + config.startTimeout().toNanos(), recent);
                inst.startPhases.put("pod", (System.nanoTime() - t0) / 1e6);
            }
            CodeDir codeDir = code.resolve(v.digest(), v.spec().runtime()).orElseThrow(() -> new InvokeException(503, "code not available",
                    "the code package " + v.digest() + " of " + spec.id() + " version " + v.version()
                            + " is not on node " + nodeId + "; redeploy it"));
            inst.startPhases.putAll(codeDir.phasesMs());
            inst.moveTo(InstanceState.LOADING);
            load(inst, client, spec, runtime, driver.pathInPod(podSpec, codeDir.dir()));
            if (!inst.moveTo(InstanceState.READY)) {
                throw new InvokeException(502, "instance died", "the instance of " + spec.id() + " stopped while loading");
            }
            coldStarts.incrementAndGet();
            lastStartError.remove(spec.id());
            for (InstanceSet.Handoff h : set.ready(inst, System.nanoTime())) {
                h.waiter().future.complete(h);
            }
        } catch (RuntimeException | IOException e) {
            InvokeException ie = e instanceof InvokeException x ? x
                    : new InvokeException(502, "instance start failed", "cannot start an instance of " + spec.id() + ": "
                    + e.getMessage() + tail(recent), e);
            lastStartError.put(spec.id(), ie.getMessage());
            LOG.log(Level.WARNING, "start of " + inst + " failed: " + ie.getMessage());
            stopQuietly(inst, port);
            for (InstanceSet.Waiter w : set.startFailed()) {
                w.future.completeExceptionally(ie);
            }
        }
    }

    private PodSpec podSpec(String podId, RuntimeDefinition runtime, int memoryMb, int port, String secret,
                            Map<String, String> labels) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NEST_HOST_PORT", String.valueOf(port));
        env.put("NEST_HOST_ADDRESS", "127.0.0.1");
        env.put("NEST_HOST_SECRET", secret);
        env.put("NEST_POD_ID", podId);
        env.put("NEST_PRELOAD", String.join(",", runtime.preload()));
        return new PodSpec(podId, runtime.name(), runtime.image(), runtimes.command(runtime, memoryMb), env, runtime.dir(),
                codeRoot, "127.0.0.1", port, memoryMb * 1024L * 1024L, 1.0, 256, labels,
                dataDir.resolve("pods").resolve(podId).resolve("work"));
    }

    /** Keeps a pod's last 20 lines (for start errors) and forwards every line to the logs. */
    private dev.nest.spi.PodListener recorder(ArrayDeque<String> recent) {
        return (podId, stderr, line) -> {
            synchronized (recent) {
                if (recent.size() == 20) {
                    recent.poll();
                }
                recent.add(line);
            }
            onLine(podId, stderr, line);
        };
    }

    // ---- warm pools ------------------------------------------------------------------------------------

    /** A generic pod of a warm pool: started with its runtime's default memory and preload, healthy, not loaded. */
    record PoolPod(Pod pod, PodSpec spec, HostClient client, int port, ArrayDeque<String> recent,
                   java.util.concurrent.atomic.AtomicBoolean taken, java.util.concurrent.atomic.AtomicBoolean released) {
    }

    /** Starts the pools' pods through this node's driver, ports and {@code sidecar.max-pods}. */
    private final class PoolPods implements PodFactory<PoolPod> {
        @Override
        public PoolPod start(String runtimeName, Runnable onExit) {
            if (closed) {
                throw new IllegalStateException("node stopping");
            }
            if (pods.incrementAndGet() > config.maxPods()) {
                pods.decrementAndGet();
                throw new IllegalStateException("node at capacity (sidecar.max-pods " + config.maxPods()
                        + "); lower the pool size or raise sidecar.max-pods");
            }
            RuntimeDefinition runtime = runtimes.require(runtimeName);
            String podId = "pool-" + runtimeName + "-" + idPrefix + ids.incrementAndGet();
            int port;
            try {
                port = ports.allocate();
            } catch (RuntimeException e) {
                pods.decrementAndGet();
                throw e;
            }
            String secret = HexFormat.of().formatHex(RANDOM.generateSeed(16));
            Map<String, String> labels = Map.of(PodLabels.OWNER, "nest", PodLabels.NODE, nodeId, PodLabels.POOL, runtimeName);
            PodSpec spec = podSpec(podId, runtime, runtime.memoryMb(), port, secret, labels);
            ArrayDeque<String> recent = new ArrayDeque<>();
            PoolPod pp = null;
            Pod pod = null;
            try {
                pod = driver.start(spec, recorder(recent));
                HostClient client = new HostClient("127.0.0.1", port, secret);
                pp = new PoolPod(pod, spec, client, port, recent, new java.util.concurrent.atomic.AtomicBoolean(),
                        new java.util.concurrent.atomic.AtomicBoolean());
                pod.exited().thenRun(onExit);
                awaitHealthy(runtimeName, "the " + runtimeName + " pool", pod, client,
                        System.nanoTime() + config.startTimeout().toNanos(), recent);
                return pp;
            } catch (RuntimeException | IOException e) {
                if (pp != null) {
                    stop(pp);
                } else {
                    if (pod != null) {
                        stopPod(pod);
                    }
                    ports.release(port);
                    pods.decrementAndGet();
                }
                throw e instanceof RuntimeException re ? re
                        : new IllegalStateException("cannot start a " + runtimeName + " pool pod: " + e.getMessage(), e);
            }
        }

        @Override
        public boolean alive(PoolPod p) {
            return !p.pod().exited().isDone();
        }

        @Override
        public void stop(PoolPod p) {
            if (p.taken().get() || !p.released().compareAndSet(false, true)) {
                return;
            }
            stopPod(p.pod());
            p.client().close();
            ports.release(p.port());
            pods.decrementAndGet();
        }

        private void stopPod(Pod pod) {
            try {
                pod.stop(java.time.Duration.ZERO);
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "stopping pool pod " + pod.id(), e);
            }
        }
    }

    private static String tail(ArrayDeque<String> recent) {
        synchronized (recent) {
            return recent.isEmpty() ? "" : "; last output: " + String.join(" | ", recent);
        }
    }

    private void awaitHealthy(String runtime, String of, Pod pod, HostClient client, long deadline, ArrayDeque<String> recent)
            throws IOException {
        long pause = 1;
        while (true) {
            if (pod.exited().isDone()) {
                throw new InvokeException(502, "instance start failed", "the " + runtime
                        + " host of " + of + " exited with code " + pod.exited().join()
                        + " while starting" + tail(recent));
            }
            try {
                HostClient.Response r = client.call("GET", "/health", null, 2_000);
                if (r.status() == 200 && Json.tree(r.body(), "health").path("ready").asBoolean(false)) {
                    return;
                }
            } catch (ConnectException notYet) {
                // the host is not listening yet
            } catch (IOException e) {
                if (!(e instanceof java.io.EOFException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new InvokeException(502, "instance start failed", "the host of " + of
                        + " did not become healthy within sidecar.start-timeout " + config.startTimeout().toMillis() + " ms" + tail(recent));
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

    private void load(Instance inst, HostClient client, FunctionSpec spec, RuntimeDefinition runtime, String codeDir)
            throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", inst.id());
        body.put("function", spec.id().toString());
        body.put("version", String.valueOf(inst.version().version()));
        body.put("codeDir", codeDir);
        body.put("handler", spec.handler().isEmpty() ? runtime.defaultHandler() : spec.handler());
        body.put("env", spec.env());
        body.put("limits", Map.of("memoryMb", spec.memoryMb(), "timeoutMs", spec.timeout().toMillis(),
                "concurrency", spec.concurrency()));
        long t0 = System.nanoTime();
        HostClient.Response r = client.call("POST", "/load", Json.bytes(body), config.startTimeout().toMillis());
        if (r.status() != 200) {
            String detail = r.bodyText();
            try {
                JsonNode n = Json.tree(r.body(), "load answer");
                detail = n.path("detail").asText(detail);
            } catch (RuntimeException ignored) {
                // not JSON: keep the raw text
            }
            throw new InvokeException(502, "function failed to load", spec.id() + " version " + inst.version().version()
                    + " failed to load: " + detail);
        }
        JsonNode timings = Json.tree(r.body(), "load answer").path("timings");
        // the round trip less the user's init: the host's own loading plus the call itself
        double init = timings.path("initMs").asDouble(0);
        inst.startPhases.put("load", Math.max(timings.path("loadMs").asDouble(0), (System.nanoTime() - t0) / 1e6 - init));
        inst.startPhases.put("init", init);
    }

    // ---- pod events ------------------------------------------------------------------------------------

    private void onLine(String podId, boolean stderr, String line) {
        Instance inst = byPod.get(podId);
        String fn = inst == null ? "" : inst.version().spec().id().toString();
        int version = inst == null ? 0 : inst.version().version();
        Optional<LogFraming.Framed> f = LogFraming.parse(line);
        if (f.isPresent()) {
            logs.accept(new LogLine(clock.instant(), fn, version, f.get().invocationId(), f.get().sandboxId(),
                    f.get().level(), f.get().text()));
        } else {
            logs.accept(new LogLine(clock.instant(), fn, version, "", podId, stderr ? "error" : "info", line));
        }
    }

    private void onPodExit(Instance inst, int code) {
        InstanceState before = inst.state();
        if (before == InstanceState.DRAINING || before == InstanceState.STOPPED) {
            return;
        }
        if (before == InstanceState.READY) {
            LOG.warning("instance " + inst + " died (exit code " + code + "); replacing it if needed");
            logs.accept(new LogLine(clock.instant(), inst.version().spec().id().toString(), inst.version().version(), "",
                    inst.id(), "error", "instance exited unexpectedly with code " + code));
        }
        InstanceSet set = sets.get(key(inst.version()));
        if (before == InstanceState.READY && set != null) {
            int starts = set.remove(inst);
            launch(set, starts);
        }
        if (before == InstanceState.READY) {
            stopQuietly(inst, inst.port());
        }
    }

    private void stop(Instance inst, java.time.Duration grace) {
        if (!inst.moveTo(InstanceState.DRAINING) && inst.state() == InstanceState.STOPPED) {
            return;
        }
        Pod pod = inst.pod();
        try {
            if (pod != null) {
                pod.stop(grace);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "stopping " + inst + " failed", e);
        }
        release(inst, inst.port());
    }

    private void stopQuietly(Instance inst, int port) {
        try {
            if (inst.pod() != null) {
                inst.moveTo(InstanceState.DRAINING);
                inst.pod().stop(java.time.Duration.ZERO);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "cleanup of " + inst, e);
        }
        release(inst, port);
    }

    private void release(Instance inst, int port) {
        if (!inst.moveTo(InstanceState.STOPPED)) {
            return;
        }
        pods.decrementAndGet();
        byPod.remove(inst.id());
        if (inst.pod() != null) {
            byPod.remove(inst.pod().id());
        }
        if (inst.client() != null) {
            inst.client().close();
        }
        if (port > 0) {
            ports.release(port);
        }
    }

    // ---- the autoscaler's interface --------------------------------------------------------------------

    /** A snapshot of the live versions' instance sets on this node. */
    public Map<FunctionId, FunctionLoad> load() {
        Map<FunctionId, FunctionLoad> out = new LinkedHashMap<>();
        for (InstanceSet set : sets.values()) {
            if (isLive(set.version())) {
                out.put(set.version().spec().id(), set.load());
            }
        }
        return out;
    }

    /**
     * Desired instances of {@code id}'s live version on this node. Reconciliation (at once, and every second)
     * keeps {@code max(scaling.min, instances)} of them, capped by {@code scaling.max}: it starts the deficit and
     * stops idle instances above the target; busy ones above it are stopped when their last request ends.
     *
     * @throws IllegalArgumentException when {@code instances} is negative
     */
    public void setTarget(FunctionId id, int instances) {
        if (instances < 0) {
            throw new IllegalArgumentException("target of " + id + " must be >= 0, got " + instances);
        }
        targets.put(id, instances);
        scheduleReconcile();
    }

    /** Back to the keep-alive behaviour: idle instances above {@code scaling.min} expire after {@code scaling.keep-alive}. */
    public void clearTarget(FunctionId id) {
        if (targets.remove(id) != null) {
            scheduleReconcile();
        }
    }

    /** The current target of {@code id}, if one is set. */
    public Optional<Integer> target(FunctionId id) {
        return Optional.ofNullable(targets.get(id));
    }

    /**
     * Calls {@code listener} when a request of a function queues because no instance is free. Calls are made on
     * one notifier thread, never on the request's; a burst of queued requests of one function is coalesced into
     * one call while the previous one has not run yet. A listener that throws is logged and kept.
     */
    public void onStarved(Consumer<FunctionId> listener) {
        starvedListeners.add(listener);
    }

    private void starved(FunctionId id) {
        if (closed || !starvedPending.add(id)) {
            return;
        }
        try {
            notifier.execute(() -> {
                starvedPending.remove(id);
                for (Consumer<FunctionId> l : starvedListeners) {
                    try {
                        l.accept(id);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "starved listener failed for " + id, e);
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            starvedPending.remove(id);
        }
    }

    private void stopIfAboveTarget(InstanceSet set, Instance i) {
        FunctionVersion v = set.version();
        Integer target = targets.get(v.spec().id());
        if (target == null || !isLive(v)) {
            return;
        }
        if (set.removeIfIdleAbove(i, Math.max(v.spec().scaling().min(), target))) {
            Thread.ofVirtual().start(() -> stop(i, config.stopGrace()));
        }
    }

    private boolean isLive(FunctionVersion v) {
        Optional<FunctionRecord> rec = catalog.get(v.spec().id());
        return rec.isPresent() && rec.get().live() == v.version();
    }

    private void scheduleReconcile() {
        if (started && !closed) {
            try {
                ticker.execute(this::reconcile);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // closing
            }
        }
    }

    // ---- reconciliation --------------------------------------------------------------------------------

    /** One pass: minimums, keep-alive expiry, deleted functions. Runs on the reconcile thread. */
    void reconcile() {
        if (closed) {
            return;
        }
        try {
            long now = System.nanoTime();
            for (FunctionRecord r : catalog.all()) {
                r.liveVersion().ifPresent(v -> {
                    if (v.spec().scaling().min() > 0 || targets.getOrDefault(v.spec().id(), 0) > 0) {
                        sets.computeIfAbsent(key(v), k -> new InstanceSet(v));
                    }
                });
            }
            for (Map.Entry<VersionKey, InstanceSet> e : sets.entrySet()) {
                InstanceSet set = e.getValue();
                FunctionVersion v = set.version();
                Optional<FunctionRecord> rec = catalog.get(v.spec().id());
                boolean live = rec.isPresent() && rec.get().live() == v.version();
                if (rec.isEmpty() || rec.get().version(v.version()).isEmpty()) {
                    for (Instance i : set.drainAll()) {
                        Thread.ofVirtual().start(() -> stop(i, config.stopGrace()));
                    }
                } else {
                    Integer target = live ? targets.get(v.spec().id()) : null;
                    int min = live ? v.spec().scaling().min() : 0;
                    int keep = target == null ? min : Math.max(min, target);
                    // an earlier live version stays warm for sidecar.previous-version-keep-alive, so a rollback is warm;
                    // under the scaler's target, instances above it go at once, except that a version that has just
                    // become live again keeps its warm instances for the function's keep-alive (the scaler's view of
                    // the function's load has not seen them yet)
                    long since = set.liveChange(live, now);
                    long fnKeepAlive = v.spec().scaling().keepAlive().toNanos();
                    long keepAlive = !live ? config.previousVersionKeepAlive().toNanos()
                            : target == null || (since != Long.MIN_VALUE && now - since < fnKeepAlive) ? fnKeepAlive : 0;
                    for (Instance i : set.expire(now, keepAlive, keep, since)) {
                        Thread.ofVirtual().start(() -> stop(i, config.stopGrace()));
                    }
                    if (live) {
                        launch(set, set.deficit(keep));
                    }
                }
                if (set.isEmpty() && !live) {
                    sets.remove(e.getKey(), set);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reconcile failed", e);
        }
    }

    /** Instances on this node, for the API. */
    public List<InstanceInfo> instances() {
        List<InstanceInfo> out = new ArrayList<>();
        for (InstanceSet set : sets.values()) {
            synchronized (set) {
                for (Instance i : set.instances()) {
                    double cpu = i.cpuCores();
                    long memory = i.memoryBytes();
                    boolean measured = !Double.isNaN(cpu) && memory >= 0;
                    out.add(new InstanceInfo(i.id(), i.version().spec().id().toString(), i.version().version(),
                            i.state().name(), i.inFlight, i.served, i.port(), i.pod() == null ? "" : i.pod().describe(),
                            measured ? Math.round(cpu * 1000) / 1000.0 : -1, measured ? memory : -1));
                }
            }
        }
        return out;
    }

    /** Instances of one function on this node. */
    public List<InstanceInfo> instances(FunctionId id) {
        String prefix = id.toString();
        return instances().stream().filter(i -> i.function().equals(prefix)).toList();
    }

    @Override
    public void close() {
        closed = true;
        ticker.shutdownNow();
        usageTicker.shutdownNow();
        notifier.shutdownNow();
        pool.close();
        List<Instance> all = new ArrayList<>();
        for (InstanceSet set : sets.values()) {
            all.addAll(set.drainAll());
        }
        all.addAll(byPod.values());
        all.parallelStream().distinct().forEach(i -> stop(i, config.stopGrace()));
        driver.close();
    }
}
