package dev.nest.sidecar;

import dev.nest.config.NestConfig;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.namespace.QuotaExceeded;
import dev.nest.namespace.Quotas;
import dev.nest.namespace.UsageSource;
import dev.nest.pool.WarmPool;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.DriverHealth;
import dev.nest.spi.SandboxDriver;
import dev.nest.store.LogLine;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The node agent: owns this node's instances. The gateway asks it for a {@link Lease} on an instance of a
 * function version; it answers at once when an instance is free, otherwise queues the request and starts
 * instances ({@link ColdStart}: pool pod or new pod, health, {@code /load}) in parallel, bounded by
 * {@code sidecar.max-pods}.
 *
 * <p>Every second (and after each catalog change) the {@link Reconciler} keeps {@code scaling.min} instances of each
 * live version, stops idle instances under the {@link KeepAliveRule} (instances of a version that is no longer
 * live stay {@code sidecar.previous-version-keep-alive} after it stopped being live, so that a rollback finds them
 * warm), and stops everything of a deleted function. An autoscaler may instead set a target per function
 * ({@link #setTarget}): reconciliation then keeps {@code max(scaling.min, target)} instances of the live version and
 * stops idle ones above it at once; it reads the node's load through {@link #load()} and hears of queued requests
 * through {@link #onStarved}. A pod that dies is noticed through its driver; its instance leaves routing at once and
 * in-flight requests on it fail with 502, while waiting requests are served by a replacement.
 *
 * <p>Time: every time is read from the {@code nanoTime} source given to the constructor ({@link System#nanoTime}
 * in production); callers' deadlines are in its terms.
 *
 * <p>Lifecycle: construct, {@link #start}, {@link #close}. Threads: {@link #acquireAsync} is called on request
 * threads (virtual), starts run on virtual threads, reconciliation on one thread, usage sampling on another.
 * Instance bookkeeping is guarded by each {@link InstanceSet}.
 */
public final class NodeAgent implements InstanceLeases, Lease.Lessor, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeAgent.class.getName());

    private final String nodeId;
    private final SandboxDriver driver;
    private final LongSupplier nanoTime;
    private final NodeInstances sets = new NodeInstances();
    private final QuotaGate quotaGate = new QuotaGate(sets);
    private final LogCapture capture;
    private final NodePods pods;
    private final WarmPool<PoolPodFactory.PoolPod> pool;
    private final ColdStart starts;
    private final Reconciler reconciler;
    private final StarvedNotifier starved = new StarvedNotifier();
    private final UsageSampler usage;
    private final MergedPods merged;
    private final RecentTraffic traffic = new RecentTraffic();
    private final AutoMoves moves;
    /** Whether {@code deploy: auto} may merge here ({@code sidecar.merge-below} > 0): only then is traffic counted. */
    private final boolean autoMerging;
    private final Duration stopGrace;
    private volatile State state = State.NEW;

    /** The agent's lifecycle: {@code NEW} until {@link #start}, then {@code RUNNING}; {@code CLOSED} refuses requests. */
    public enum State { NEW, RUNNING, CLOSED }

    /**
     * An agent on the real monotonic clock, with hosts on ports of {@code sidecar.port-range}.
     *
     * @param code gives the unpacked directory of a package digest on this node
     * @param logs receives every line the pods write
     */
    public NodeAgent(NestConfig.Sidecar config, String nodeId, Path dataDir, Path codeRoot, SandboxDriver driver,
                     RuntimeRegistry runtimes, CodeSource code, Consumer<LogLine> logs,
                     FunctionCatalog catalog, Clock clock) {
        this(config, nodeId, dataDir, codeRoot, driver, runtimes, code, logs, catalog, clock, System::nanoTime);
    }

    /** @param nanoTime the monotonic time source all of the agent's times and callers' deadlines are read from */
    public NodeAgent(NestConfig.Sidecar config, String nodeId, Path dataDir, Path codeRoot, SandboxDriver driver,
                     RuntimeRegistry runtimes, CodeSource code, Consumer<LogLine> logs,
                     FunctionCatalog catalog, Clock clock, LongSupplier nanoTime) {
        this(config, nodeId, dataDir, codeRoot, driver, runtimes, code, logs, catalog, clock, nanoTime,
                new PortAllocator(config.portFrom(), config.portTo()),
                task -> Thread.ofVirtual().name("nest-pool-start").start(task));
    }

    /**
     * @param ports      the hosts' ports (tests use free ones)
     * @param poolStarts runs the warm pools' pod starts (tests run them at once)
     */
    NodeAgent(NestConfig.Sidecar config, String nodeId, Path dataDir, Path codeRoot, SandboxDriver driver,
              RuntimeRegistry runtimes, CodeSource code, Consumer<LogLine> logs, FunctionCatalog catalog, Clock clock,
              LongSupplier nanoTime, Ports ports, Executor poolStarts) {
        this.nodeId = nodeId;
        this.driver = driver;
        this.nanoTime = nanoTime;
        this.stopGrace = config.stopGrace();
        this.capture = new LogCapture(logs, clock);
        this.pods = new NodePods(config, nodeId, dataDir, codeRoot, driver, runtimes, ports, capture, nanoTime);
        this.usage = new UsageSampler(driver::usage, nanoTime);
        this.pool = new WarmPool<>(new PoolPodFactory(pods, () -> state == State.CLOSED), PoolPodFactory.pools(runtimes, config.pool()),
                config.maxPods(), config.pool().idle(), nanoTime, poolStarts);
        this.merged = new MergedPods(pods, config.merged(), config.startTimeout(), stopGrace, nanoTime);
        this.starts = new ColdStart(config, pods, pool, code, capture, nanoTime, quotaGate, merged, traffic);
        this.autoMerging = config.merged().mergeBelow() > 0;
        this.moves = new AutoMoves(config.merged(), pods, starts, traffic, stopGrace, nanoTime);
        this.reconciler = new Reconciler(catalog, sets, starts, pods, new KeepAliveRule(config.previousVersionKeepAlive()),
                stopGrace, nanoTime, moves);
    }

    /** Removes pods left by an earlier run, starts reconciliation and the warm pools. */
    public void start() {
        start(true);
    }

    /**
     * Removes pods left by an earlier run, starts reconciliation, and the warm pools when {@code pools} (else
     * {@link #startPools} does, e.g. once the node is ready, so that pool pods do not compete with its start).
     *
     * @throws IllegalStateException when the agent was started or closed before
     */
    public synchronized void start(boolean pools) {
        if (state != State.NEW) {
            throw new IllegalStateException("the node agent is " + state + "; it starts once");
        }
        state = State.RUNNING;
        int orphans = driver.removeOrphans(nodeId);
        if (orphans > 0) {
            LOG.info("removed " + orphans + " pods left behind by an earlier run of node " + nodeId);
        }
        if (pools) {
            pool.start();
        }
        reconciler.start();
        usage.start(sets::all, merged::sample);
    }

    /**
     * Starts filling the warm pools (see {@link #start(boolean)}) one second from now: starting pool pods takes both
     * cores of a small node for a while, and a node that has just become ready answers its first requests first.
     */
    public void startPools() {
        pool.start(Duration.ofSeconds(1));
    }

    public State state() {
        return state;
    }

    /**
     * Enforces the namespaces' quotas on this node's starts: a start that would take a namespace over
     * {@code quota.instances} or {@code quota.memory} across the region (this node's instances plus what
     * {@code elsewhere} reports for the other nodes) is not made, and a request that then has no instance to wait for
     * gets a 429 naming the quota, its limit and usage. Without this call no quota is enforced. Call before
     * {@link #start}.
     *
     * @throws IllegalStateException when the agent was started already
     */
    public synchronized void enforceQuotas(Quotas quotas, UsageSource elsewhere) {
        if (state != State.NEW) {
            throw new IllegalStateException("quotas are set before the node agent starts; it is " + state);
        }
        quotaGate.use(quotas, elsewhere);
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
        return starts.count();
    }

    /** The last reason an instance of {@code id} failed to start, if its latest start failed. */
    public Optional<String> lastStartError(FunctionId id) {
        return starts.lastError(id);
    }

    // ---- leasing -----------------------------------------------------------------------------------------

    /**
     * An instance of {@code version} for one invocation, without blocking: the warm path answers at once; a
     * request that must wait gets a future. Waiting ends at {@code deadlineNanos} or after {@code queue.timeout}.
     *
     * @throws InvokeException 429 when the function's queue is full or its namespace's quota allows no instance for
     *                         it, 503 when the node is stopping
     */
    @Override
    public Pending acquireAsync(FunctionVersion version, long deadlineNanos) {
        if (state == State.CLOSED) {
            throw new InvokeException(503, "node shutting down", "this node is stopping; retry on another node")
                    .withRetryAfter(1);
        }
        InstanceSet set = sets.of(version);
        long now = nanoTime.getAsLong();
        InstanceSet.Grant g = set.acquire(now);
        if (g.instance() != null) {
            return new Pending(new Lease(g.instance(), false, 0, Map.of(), this), null, now, set, null);
        }
        FunctionSpec spec = version.spec();
        if (g.rejected()) {
            throw new InvokeException(429, "too many requests", "function " + spec.id() + " has " + spec.queue().size()
                    + " requests waiting for an instance (queue.size); retry later or raise scaling.max or queue.size")
                    .withRetryAfter(set.retryAfterSeconds(now));
        }
        Optional<QuotaExceeded> refused = starts.launch(set, g.starts());
        if (refused.isPresent() && set.readyCount() == 0 && set.starting() == 0 && set.cancel(g.waiter())) {
            // nothing runs or starts for this version and the quota allows no start: waiting would only time out
            throw new InvokeException(429, QuotaExceeded.ERROR, refused.get().detail())
                    .withRetryAfter(QuotaExceeded.RETRY_AFTER_SECONDS);
        }
        starved.starved(spec.id());
        InstanceSet.Waiter w = g.waiter();
        CompletableFuture<Lease> later = w.future.thenApply(h -> {
            double waited = (nanoTime.getAsLong() - w.sinceNanos) / 1e6;
            if (!h.cold()) {
                return new Lease(h.instance(), false, waited, Map.of(), this);
            }
            // a cold request's wait is mostly its instance's start: report the start's phases separately
            Map<String, Double> start = ColdStart.phases(h.instance());
            double starting = start.values().stream().mapToDouble(Double::doubleValue).sum();
            return new Lease(h.instance(), true, Math.max(0, waited - starting), start, this);
        });
        return new Pending(null, later, Math.min(deadlineNanos, now + spec.queue().timeout().toNanos()), set, w);
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
        String why = starts.lastError(spec.id()).map(e -> ", last start failed: " + e).orElse("");
        return Optional.of(new InvokeException(503, "no instance available", "no instance of " + spec.id()
                + " became free within " + Math.round((p.waitUntilNanos() - p.waiter.sinceNanos) / 1e6)
                + " ms (scaling.max " + spec.scaling().max() + ", " + p.set.starting() + " starting" + why + ")")
                .withRetryAfter(p.set.retryAfterSeconds(nanoTime.getAsLong())));
    }

    /** Blocking form of {@link #acquireAsync}, for callers on their own (virtual) thread. */
    public Lease acquire(FunctionVersion version, long deadlineNanos) {
        Pending p = acquireAsync(version, deadlineNanos);
        if (p.now != null) {
            return p.now;
        }
        try {
            return p.later().get(Math.max(0, p.waitUntilNanos() - nanoTime.getAsLong()), TimeUnit.NANOSECONDS);
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

    @Override
    public void release(Lease lease) {
        Instance i = lease.instance();
        afterColdStart(lease);
        if (autoMerging) {
            traffic.record(i.version().spec().id(), nanoTime.getAsLong());
        }
        Optional<InstanceSet> set = sets.find(i.version());
        if (set.isEmpty()) {
            return;
        }
        InstanceSet.Handoff next = set.get().release(i, nanoTime.getAsLong());
        if (next != null) {
            next.waiter().future.complete(next);
        } else if (set.get().retiredIdle(i)) {
            pods.stopLater(i, graceOf(i));
        } else {
            reconciler.afterRelease(set.get(), i);
        }
    }

    /**
     * The invocation ended but the host reported its instance unhealthy ({@link AfterInvocation#RETIRE}): the instance
     * takes no new request, replacements start for the waiting requests, and its pod stops (within
     * {@code sidecar.stop-grace}) once its last request in flight ends.
     */
    @Override
    public void retire(Lease lease, String reason) {
        Instance i = lease.instance();
        afterColdStart(lease);
        Optional<InstanceSet> set = sets.find(i.version());
        if (set.isEmpty()) {
            pods.stopLater(i, graceOf(i));
            return;
        }
        int replacements = set.get().retire(i);
        set.get().release(i, nanoTime.getAsLong());
        starts.launch(set.get(), replacements);
        LOG.warning("retiring instance " + i + ": " + reason + "; it stops when its requests in flight end");
        if (i.merged() && !endsAlone(i)) {
            // its work goes on in a pod it shares: the neighbours move to a fresh merged pod first, then the old
            // pod drains and stops with its last instance, taking the runaway work with it (a runtime whose merged
            // host ends one function's work on unload, merged-isolation: worker, needs none of this)
            for (Instance n : merged.evacuate(i)) {
                sets.find(n.version()).ifPresent(s -> moves.evacuate(s, n));
            }
        }
        if (set.get().retiredIdle(i)) {
            pods.stopLater(i, graceOf(i));
        }
    }

    /**
     * One of the instance's invocations was stopped on purpose ({@link Lease#stop}): it is retired (no new request,
     * replacements for the waiting ones, a merged pod's neighbours moved out) and its pod stops without grace once
     * its other requests in flight ended; at once when there are none. Its neighbours are never failed for it.
     */
    @Override
    public void stop(Lease lease, String reason) {
        lease.instance().stopWhenIdle = true;
        retire(lease, "one of its invocations was stopped (" + reason + ")");
    }

    /** Whether unloading {@code i} from its merged pod ends its work there ({@code merged-isolation: worker}). */
    private boolean endsAlone(Instance i) {
        try {
            return pods.runtime(i.version().spec().runtime()).unloadEndsWorkAlone();
        } catch (RuntimeException unknown) {
            return false;
        }
    }

    private Duration graceOf(Instance i) {
        return stopGrace(i.stopWhenIdle, stopGrace);
    }

    /**
     * The grace a retired instance's pod stops with: none when it was retired because an invocation was stopped (its
     * code must end now, its neighbours ended already), else {@code sidecar.stop-grace}.
     */
    static Duration stopGrace(boolean invocationStopped, Duration configured) {
        return invocationStopped ? Duration.ZERO : configured;
    }

    @Override
    public void recycle(Lease lease, String reason) {
        Instance i = lease.instance();
        afterColdStart(lease);
        sets.find(i.version()).ifPresent(set -> {
            int replacements = set.remove(i);
            set.release(i, nanoTime.getAsLong());
            starts.launch(set, replacements);
        });
        LOG.warning("recycling instance " + i + ": " + reason);
        pods.stopLater(i, Duration.ZERO);
    }

    /**
     * The first request on a pool pod finished: now the pool refills. Starting a pod earlier would compete for
     * the CPU with that pod's specialization and first request, the latency the pool exists to cut.
     */
    private void afterColdStart(Lease lease) {
        if (lease.cold() && lease.startPhases().containsKey("pool")) {
            pool.refill();
        }
    }

    // ---- the autoscaler's interface ----------------------------------------------------------------------

    /** A snapshot of the live versions' instance sets on this node. */
    public Map<FunctionId, FunctionLoad> load() {
        return sets.loads(reconciler::isLive);
    }

    /**
     * Per function, how many of its live version's ready instances are parked in a merged pod (worker unloaded for
     * idleness, as the merged host last said; ADR 0025); functions with none are left out. The leader reserves a
     * parked instance at what it holds, not its whole memory.
     */
    public Map<FunctionId, Integer> parked() {
        return sets.parked(reconciler::isLive);
    }

    /**
     * Per function, how many of its live version's ready instances are burst workers in a merged pod
     * (ADR 0025); functions with none are left out. The leader accounts those as merged instances, not pods.
     */
    public Map<FunctionId, Integer> burst() {
        return sets.burst(reconciler::isLive);
    }

    /**
     * Desired instances of {@code id}'s live version on this node. Reconciliation (at once, and every second)
     * keeps {@code max(scaling.min, instances)} of them, capped by {@code scaling.max}: it starts the deficit and
     * stops idle instances above the target; busy ones above it are stopped when their last request ends.
     *
     * @throws IllegalArgumentException when {@code instances} is negative
     */
    public void setTarget(FunctionId id, int instances) {
        reconciler.setTarget(id, instances);
    }

    /** Back to the keep-alive behaviour: idle instances above {@code scaling.min} expire after {@code scaling.keep-alive}. */
    public void clearTarget(FunctionId id) {
        reconciler.clearTarget(id);
    }

    /** The current target of {@code id}, if one is set. */
    public Optional<Integer> target(FunctionId id) {
        return reconciler.target(id);
    }

    /**
     * Calls {@code listener} when a request of a function queues because no instance is free. Calls are made on
     * one notifier thread, never on the request's; a burst of queued requests of one function is coalesced into
     * one call while the previous one has not run yet. A listener that throws is logged and kept.
     */
    public void onStarved(Consumer<FunctionId> listener) {
        starved.add(listener);
    }

    /** One reconciliation pass now, on the caller's thread. */
    void reconcile() {
        reconciler.reconcile();
    }

    /** Instances on this node, for the API. */
    public List<InstanceInfo> instances() {
        return sets.infos();
    }

    /** This node's merged pods and the instances each holds, by pod id. */
    public Map<String, List<String>> mergedPods() {
        return merged.members();
    }

    /** Instances of one function on this node. */
    public List<InstanceInfo> instances(FunctionId id) {
        return instances().stream().filter(i -> i.function().equals(id.toString())).toList();
    }

    /**
     * Stops reconciliation, the pools and every instance (each within {@code sidecar.stop-grace}), then the driver.
     * Requests after this are refused with 503. A second call does nothing.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
        }
        reconciler.close();
        usage.close();
        starved.close();
        pool.close();
        List<Instance> all = sets.drainAll();
        all.addAll(capture.instances());
        all.parallelStream().distinct().forEach(i -> pods.stop(i, stopGrace));
        driver.close();
    }
}
