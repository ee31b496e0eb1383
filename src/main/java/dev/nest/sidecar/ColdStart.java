package dev.nest.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.namespace.QuotaExceeded;
import dev.nest.pool.WarmPool;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.scheduler.Placement;
import dev.nest.spi.PodLabels;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The cold-start path: starts instances of a version for its {@link InstanceSet}. A start takes a pod from the
 * runtime's warm pool when one fits (phase {@code pool}) or starts a pod and waits for its host's health (phase
 * {@code pod}), resolves the version's code (phases {@code fetch}, {@code decompress}, {@code unpack} when the node
 * lacked it), and loads it ({@code /load}: phases {@code load} and {@code init}); the instance then serves the
 * set's oldest waiters. Every phase is measured in ms on the instance; {@link #phases} orders them for the lease.
 *
 * <p>Capacity: each start reserves a place under {@code sidecar.max-pods}; at capacity a start still goes ahead
 * while the warm pool holds a pod it can take (a pool pod already has its place), otherwise it is not made.
 *
 * <p>Failure: a start that fails stops its pod, records its reason for {@link #lastError} and, when nothing else
 * can serve the set's waiters, fails them with the reason (an {@link InvokeException}, 502 or 503, quoting the
 * host's last output). A ready instance whose pod exits leaves the set at once and is replaced for its waiters.
 *
 * <p>Threads: {@link #launch} is called on request threads, the reconcile thread and pod exit callbacks; each start
 * runs on its own virtual thread.
 */
final class ColdStart {
    private static final Logger LOG = Logger.getLogger(ColdStart.class.getName());

    /** Phase names of a cold start, in the order they happen (the lease reports them in this order). */
    static final List<String> START_PHASES = List.of("placement", "pool", "pod", "fetch", "decompress", "unpack",
            "load", "init");

    private final NestConfig.Sidecar config;
    private final NodePods pods;
    private final WarmPool<PoolPodFactory.PoolPod> pool;
    private final CodeSource code;
    private final LogCapture capture;
    private final LongSupplier nanoTime;
    private final QuotaGate quotas;
    private final MergedPods merged;
    private final RecentTraffic traffic;
    private final Map<FunctionId, String> lastError = new ConcurrentHashMap<>();
    private final AtomicLong coldStarts = new AtomicLong();

    ColdStart(NestConfig.Sidecar config, NodePods pods, WarmPool<PoolPodFactory.PoolPod> pool, CodeSource code,
              LogCapture capture, LongSupplier nanoTime, QuotaGate quotas, MergedPods merged, RecentTraffic traffic) {
        this.quotas = quotas;
        this.merged = merged;
        this.traffic = traffic;
        this.config = config;
        this.pods = pods;
        this.pool = pool;
        this.code = code;
        this.capture = capture;
        this.nanoTime = nanoTime;
    }

    /** Instances started since the node started. */
    long count() {
        return coldStarts.get();
    }

    /** Why the latest start of {@code id} failed, while no later one succeeded. */
    Optional<String> lastError(FunctionId id) {
        return Optional.ofNullable(lastError.get(id));
    }

    /** A start's phases in ms, in the order of {@link #START_PHASES} (others after them). */
    static Map<String, Double> phases(Instance instance) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String name : START_PHASES) {
            Double ms = instance.startPhases.get(name);
            if (ms != null) {
                out.put(name, ms);
            }
        }
        instance.startPhases.forEach(out::putIfAbsent);
        return Collections.unmodifiableMap(out);
    }

    /**
     * Starts {@code n} instances for {@code set}, which counts them as starting already; those beyond the namespace's
     * quota ({@link QuotaGate}) are not started (the set stops counting them) and the refusal is returned.
     */
    Optional<QuotaExceeded> launch(InstanceSet set, int n) {
        FunctionSpec spec = set.version().spec();
        QuotaGate.Admission admission = quotas.admit(set, n);
        if (admission.allowed() < n) {
            set.startsAborted(n - admission.allowed());
            String why = admission.refusal().map(QuotaExceeded::detail).orElse("namespace quota");
            if (!why.equals(lastError.put(spec.id(), why))) { // once per change: reconciliation retries every second
                LOG.warning("cannot start " + (n - admission.allowed()) + " instance(s) of " + spec.id() + ": " + why);
            }
            n = admission.allowed();
        }
        // the set counts these n as starting already: the k-th has the others before it
        int before = set.readyCount() + set.starting() - n;
        int burstWorkers = 0;
        for (int k = 0; k < n; k++) {
            long decided = nanoTime.getAsLong();
            Placement.StartPlace place = placement(spec, before + k);
            if (place == Placement.StartPlace.BURST_WORKER && burstWorkers++ == 0) {
                LOG.info("starting instances of " + spec.id() + " beyond its steady need on this node ("
                        + (before + k) + " ready or starting, sidecar.burst-workers p"
                        + java.math.BigDecimal.valueOf(config.merged().burstPercentile()).stripTrailingZeros().toPlainString()
                        + ") as burst workers in a merged pod");
            }
            if (place != Placement.StartPlace.DEDICATED) {
                // a merged start takes no pod place of its own: MergedPods reserves one when it starts a merged pod
                Thread.ofVirtual().name("start-" + spec.id().name()).start(() -> start(set, decided, place));
                continue;
            }
            int over = pods.reserve();
            // pool pods count towards sidecar.max-pods; a start that will take one gives its reservation back, so
            // at capacity a start may still go ahead while the function's pool has a ready pod for it
            if (over > 0 && over > pool.available(spec.runtime(), spec.memoryMb())) {
                pods.unreserve();
                set.startsAborted(n - k);
                String why = "node at capacity (sidecar.max-pods " + pods.maxPods() + ")";
                LOG.warning(why + ": cannot start " + (n - k) + " instances of " + spec.id());
                lastError.put(spec.id(), why);
                return admission.refusal();
            }
            Thread.ofVirtual().name("start-" + spec.id().name()).start(() -> start(set, decided,
                    Placement.StartPlace.DEDICATED));
        }
        return admission.refusal();
    }

    /**
     * Where the next instance of {@code spec} starts when the node has {@code existing} of its instances, ready or
     * starting ({@link MergedPlacement#start}: merged, a burst worker, or a pod of its own).
     */
    Placement.StartPlace placement(FunctionSpec spec, int existing) {
        RuntimeDefinition runtime;
        try {
            runtime = pods.runtime(spec.runtime());
        } catch (RuntimeException unknown) {
            return Placement.StartPlace.DEDICATED; // the start fails on its own with the runtime's error
        }
        long now = nanoTime.getAsLong();
        NestConfig.Merged mc = config.merged();
        int steady = mc.burstWorkers() && spec.deploy() == dev.nest.function.DeployMode.AUTO
                ? traffic.steady.steadyCount(spec.id(), mc.burstPercentile(), perInstance(spec), now) : Integer.MAX_VALUE;
        boolean room = steady != Integer.MAX_VALUE && existing >= steady
                && merged.canTake(spec.id().namespace(), spec.memoryMb(), runtime);
        return MergedPlacement.start(spec, runtime,
                new Placement.MergeDemand(traffic.perMinute(spec.id(), now), traffic.inFlight(spec.id(), now)),
                traffic.heldOut(spec.id(), now), mc, existing, steady, room);
    }

    /**
     * Requests one instance of {@code spec} carries at its scaling target: the concurrency metric's target (the
     * scaler's steady count uses the same), else its {@code concurrency}.
     */
    static double perInstance(FunctionSpec spec) {
        for (dev.nest.function.MetricTarget t : dev.nest.scaler.ScalingConfig.of(spec).metrics()) {
            if (t.type() == dev.nest.function.MetricType.CONCURRENCY && t.target() > 0) {
                return t.target();
            }
        }
        return Math.max(1, spec.concurrency());
    }

    /**
     * Starts one instance of {@code set} in a merged pod ({@code toMerged}) or a pod of its own, and once it serves
     * calls {@code thenReady}; a start that fails (or finds the node at capacity) leaves everything as it was.
     */
    void startPlaced(InstanceSet set, boolean toMerged, Runnable thenReady, Runnable failed) {
        FunctionSpec spec = set.version().spec();
        if (!toMerged) {
            int over = pods.reserve();
            if (over > 0) {
                pods.unreserve();
                LOG.info("not moving " + spec.id() + " to a pod of its own: node at capacity (sidecar.max-pods "
                        + pods.maxPods() + ")");
                failed.run();
                return;
            }
        }
        set.startOne();
        long decided = nanoTime.getAsLong();
        Placement.StartPlace place = toMerged ? Placement.StartPlace.MERGED : Placement.StartPlace.DEDICATED;
        Thread.ofVirtual().name("move-" + spec.id().name()).start(() -> {
            if (start(set, decided, place)) {
                thenReady.run();
            } else {
                failed.run();
            }
        });
    }

    /** One start; true once the instance serves. */
    private boolean start(InstanceSet set, long decidedNanos, Placement.StartPlace place) {
        FunctionVersion v = set.version();
        FunctionSpec spec = v.spec();
        long now = nanoTime.getAsLong();
        boolean inMerged = place != Placement.StartPlace.DEDICATED;
        Instance inst = new Instance(pods.newId(spec.id().name() + "-" + v.version()), v, now);
        inst.burst = place == Placement.StartPlace.BURST_WORKER;
        inst.startPhases.put("placement", (now - decidedNanos) / 1e6);
        RecentOutput recent = new RecentOutput();
        try {
            RuntimeDefinition runtime = pods.runtime(spec.runtime());
            long t0 = nanoTime.getAsLong();
            Optional<PoolPodFactory.PoolPod> pooled = inMerged ? Optional.empty()
                    : pool.take(runtime.name(), spec.memoryMb());
            NodePods.Started pod;
            if (inMerged) {
                capture.attributeInstance(inst);
                pod = merged.join(inst, spec, runtime);
                inst.attach(pod.pod(), pod.client(), pod.port());
                inst.startPhases.put("pod", millisSince(t0));
            } else if (pooled.isPresent()) {
                // a pool hit: the pod already counts towards sidecar.max-pods, so this start's reservation is returned
                pods.unreserve();
                pod = pooled.get().started();
                recent = pooled.get().recent();
                capture.attribute(pod.pod().id(), inst);
                inst.attach(pod.pod(), pod.client(), pod.port());
                inst.startPhases.put("pool", millisSince(t0));
            } else {
                if (pods.overCapacity()) {
                    // this start went ahead at capacity for a pool pod that another start took first
                    throw new InvokeException(503, "node at capacity", "node " + pods.nodeId() + " runs sidecar.max-pods "
                            + pods.maxPods() + " pods; retry later, lower the pool sizes or raise sidecar.max-pods");
                }
                Map<String, String> labels = Map.of(PodLabels.OWNER, "nest", PodLabels.NODE, pods.nodeId(),
                        PodLabels.FUNCTION, spec.id().toString(), PodLabels.VERSION, String.valueOf(v.version()));
                // a host whose port another process took is started again on another port, under another pod id
                pod = pods.startHealthy(spec.id().toString(), inst.id(), runtime, spec.memoryMb(), labels, recent,
                        podId -> capture.attribute(podId, inst));
                inst.attach(pod.pod(), pod.client(), pod.port());
                inst.startPhases.put("pod", millisSince(t0));
            }
            pod.pod().exited().thenAccept(exit -> onPodExit(set, inst, exit));
            CodeDir codeDir = code.resolve(v.digest(), spec.runtime()).orElseThrow(() -> new InvokeException(503,
                    "code not available", "the code package " + v.digest() + " of " + spec.id() + " version "
                    + v.version() + " is not on node " + pods.nodeId() + "; redeploy it"));
            inst.startPhases.putAll(codeDir.phasesMs());
            inst.moveTo(InstanceState.LOADING);
            load(inst, spec, runtime, pods.pathInPod(pod.spec(), codeDir.dir()));
            if (!inst.moveTo(InstanceState.READY)) {
                throw new InvokeException(502, "instance died", "the instance of " + spec.id() + " stopped while loading");
            }
            coldStarts.incrementAndGet();
            lastError.remove(spec.id());
            for (InstanceSet.Handoff h : set.ready(inst, nanoTime.getAsLong())) {
                h.waiter().future.complete(h);
            }
            return true;
        } catch (RuntimeException | IOException e) {
            InvokeException ie = e instanceof InvokeException x ? x
                    : new InvokeException(502, "instance start failed", "cannot start an instance of " + spec.id() + ": "
                    + e.getMessage() + recent.tail(), e);
            lastError.put(spec.id(), ie.getMessage());
            LOG.log(Level.WARNING, "start of " + inst + " failed: " + ie.getMessage());
            pods.stopQuietly(inst);
            for (InstanceSet.Waiter w : set.startFailed()) {
                w.future.completeExceptionally(ie);
            }
            return false;
        }
    }

    private double millisSince(long startNanos) {
        return (nanoTime.getAsLong() - startNanos) / 1e6;
    }

    /** {@code /load}: specializes the pod's host to the version; records phases {@code load} and {@code init}. */
    private void load(Instance inst, FunctionSpec spec, RuntimeDefinition runtime, String codeDir) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", inst.id());
        body.put("function", spec.id().toString());
        body.put("version", String.valueOf(inst.version().version()));
        body.put("codeDir", codeDir);
        body.put("handler", spec.handler().isEmpty() ? runtime.defaultHandler() : spec.handler());
        body.put("env", spec.env());
        body.put("limits", Map.of("memoryMb", spec.memoryMb(), "timeoutMs", spec.timeout().toMillis(),
                "concurrency", spec.concurrency()));
        long t0 = nanoTime.getAsLong();
        HostClient.Response r = inst.client().call("POST", "/load", Json.bytes(body), config.startTimeout().toMillis());
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
        inst.startPhases.put("load", Math.max(timings.path("loadMs").asDouble(0), millisSince(t0) - init));
        inst.startPhases.put("init", init);
    }

    /**
     * The pod of {@code inst} exited. A ready instance died by itself: it leaves {@code set} (its in-flight
     * requests fail on their connections), replacements start for the waiters, and the exit is logged for the
     * function. A starting instance's start fails on its own; a draining or stopped one was stopped on purpose.
     */
    private void onPodExit(InstanceSet set, Instance inst, int exit) {
        if (inst.state() != InstanceState.READY) {
            return;
        }
        LOG.warning("instance " + inst + " died (exit code " + exit + "); replacing it if needed");
        capture.exitedUnexpectedly(inst, exit);
        launch(set, set.remove(inst));
        pods.stopQuietly(inst);
    }
}
