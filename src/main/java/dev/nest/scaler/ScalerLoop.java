package dev.nest.scaler;

import dev.nest.common.Ticker;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import dev.nest.function.MetricType;
import dev.nest.namespace.NamespaceQuota;
import dev.nest.namespace.NamespaceUsage;
import dev.nest.namespace.QuotaCheck;
import dev.nest.namespace.QuotaExceeded;
import dev.nest.namespace.Quotas;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The live scaler: every second, and at once when {@link #wake woken} (a request found no free instance), it
 * reads the load of every function ({@link LoadSource}), turns it into per-second samples (concurrency = in
 * flight + queued; requests/s from the growth of the served counter; idle periods into the function's idle-time
 * histogram; the offered load from the arrivals and the requests executing, {@link ArrivalHistory}), asks the pure
 * {@link Scaler} for the desired count and hands changes to a {@link TargetSink}. Every
 * change is logged with its rule and reason and kept in a bounded per-function log ({@link #status}).
 *
 * <p>Lifecycle: {@link #start()} starts one platform thread, {@code nest-scaler}; {@link #close()} stops it.
 * Decisions are made only while {@link #setActive active} (this node leads the cluster); on losing leadership
 * every target it set is cleared, so the node agents fall back to their keep-alive expiry. {@link #tick()} is the
 * whole round and is what tests call with a fake clock; it and {@link #setActive} are serialized on this object.
 * {@link #wake} and {@link #status} may be called from any thread and never block on a round.
 *
 * <p>CPU and memory come from the load's usage readings ({@link InstanceLoad#measured()}); a second without them
 * (a driver that cannot read them, no ready instance) gives a sample without CPU and memory, and a function that
 * scales only on them holds its count while it has none (see {@link Scaler}). The load is the cluster's sum when
 * the source aggregates the nodes' reports (it does on the leader), else this node's.
 */
public final class ScalerLoop implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ScalerLoop.class.getName());
    /** Decisions kept per function. */
    public static final int EVENTS_KEPT = 100;
    /** The round interval. */
    public static final Duration TICK = Duration.ofSeconds(1);

    private final FunctionCatalog catalog;
    private final LoadSource loads;
    private final TargetSink sink;
    private final Scaler scaler;
    private final Clock clock;
    private final Quotas quotas;
    private final Map<FunctionId, Tracked> tracked = new HashMap<>();
    private final Map<FunctionId, ScalingStatus> statuses = new ConcurrentHashMap<>();
    private final Ticker ticker = new Ticker("nest-scaler", TICK, this::tick,
            e -> LOG.log(Level.WARNING, "scaler round failed; retrying next second", e));
    private volatile boolean active;

    public ScalerLoop(FunctionCatalog catalog, LoadSource loads, TargetSink sink, Scaler scaler, Clock clock) {
        this(catalog, loads, sink, scaler, clock, Quotas.NONE);
    }

    /**
     * A loop that never asks for more instances than the function's namespace quota leaves it: the desired count is
     * capped ({@link #capToQuota}) by what the namespace's other functions are asked to hold (their targets, or their
     * instances when they have none yet), and the cap is named in the decision's reason.
     */
    public ScalerLoop(FunctionCatalog catalog, LoadSource loads, TargetSink sink, Scaler scaler, Clock clock,
                      Quotas quotas) {
        this.quotas = quotas;
        this.catalog = catalog;
        this.loads = loads;
        this.sink = sink;
        this.scaler = scaler;
        this.clock = clock;
    }

    /** Starts the round thread. */
    public void start() {
        ticker.start();
    }

    public Ticker.State state() {
        return ticker.state();
    }

    /** Whether decisions are made (this node leads). */
    public boolean active() {
        return active;
    }

    /**
     * Starts or stops deciding; called with the node's leadership. Stopping clears every target this loop set
     * and forgets the scale-down timers, so a node that leads again starts afresh.
     */
    public synchronized void setActive(boolean leader) {
        if (leader == active) {
            return;
        }
        active = leader;
        LOG.info(leader ? "scaler: this node leads; deciding every " + TICK.toSeconds() + "s"
                : "scaler: this node no longer leads; targets cleared");
        if (!leader) {
            for (Map.Entry<FunctionId, Tracked> e : tracked.entrySet()) {
                if (e.getValue().target >= 0) {
                    sink.clearTarget(e.getKey());
                }
                e.getValue().target = -1;
                e.getValue().state = ScalerState.initial();
            }
        }
        wake(null);
    }

    /** Runs a round now instead of at the next second (a request of {@code id} found no free instance). */
    public void wake(FunctionId id) {
        ticker.wake();
    }

    /** The scaler's view of {@code id}: config, current metrics, desired count and recent decisions. */
    public Optional<ScalingStatus> status(FunctionId id) {
        return Optional.ofNullable(statuses.get(id));
    }

    /** One round at the clock's time: read the load, sample, decide (when active), apply changes. */
    public synchronized void tick() {
        Instant now = clock.instant();
        Map<FunctionId, InstanceLoad> load = loads.load();
        Set<FunctionId> ids = new LinkedHashSet<>(load.keySet());
        for (FunctionRecord r : catalog.all()) {
            ids.add(r.id());
        }
        ids.addAll(tracked.keySet());
        for (FunctionId id : ids) {
            Optional<FunctionVersion> live = catalog.get(id).flatMap(FunctionRecord::liveVersion);
            if (live.isEmpty()) {
                Tracked gone = tracked.remove(id);
                statuses.remove(id);
                if (gone != null && gone.target >= 0) {
                    sink.clearTarget(id);
                }
                continue;
            }
            ScalingConfig config = ScalingConfig.of(live.get().spec());
            InstanceLoad l = load.get(id);
            if (l == null || l.version() != live.get().version()) {
                l = new InstanceLoad(id, live.get().version(), 0, 0, 0, 0, 0, 0, 0, 0, 0);
            }
            Tracked t = tracked.computeIfAbsent(id, k -> new Tracked());
            t.observe(now, l, scaler.history().compareTo(config.stableWindow()) > 0 ? scaler.history() : config.stableWindow());
            FunctionMetrics m = t.metrics();
            Map<String, Double> values = values(m, config, now);
            if (active) {
                // burst release frees burst workers; a deploy: dedicated function has none (its released instances
                // would be pods, started again at a cold start's cost when the burst recurs), so it keeps the delay
                Scaler s = BurstRelease.appliesTo(live.get().spec().deploy()) ? scaler : scaler.withoutBurstRelease();
                Decision d = capToQuota(id, live.get().spec().memoryMb(), s.decide(m, config, now, t.state), load);
                t.state = d.state();
                int from = Math.max(0, t.target);
                if (d.desired() != t.target) {
                    sink.setTarget(id, d.desired());
                    if (d.desired() != from || t.target < 0 && d.desired() > 0) {
                        ScalingEvent e = new ScalingEvent(now, from, d.desired(), d.rule(), d.reason(), values);
                        t.events.addLast(e);
                        while (t.events.size() > EVENTS_KEPT) {
                            t.events.removeFirst();
                        }
                        LOG.info("scaler: " + id + " " + from + " -> " + d.desired() + " (" + d.rule().key() + "): " + d.reason());
                    }
                    t.target = d.desired();
                }
                t.last = d;
                t.decidedAt = now;
            }
            Decision last = t.last;
            statuses.put(id, new ScalingStatus(id, l.version(), config, active, last == null ? l.ready() + l.starting() : last.desired(),
                    last == null ? null : last.rule(), last == null ? "not deciding: this node does not lead the cluster" : last.reason(),
                    t.decidedAt, l, values, m.idleSince(), new ArrayList<>(t.events)));
        }
    }

    @Override
    public void close() {
        ticker.close();
    }

    /**
     * {@code d} with its count capped to what {@code id}'s namespace quota leaves next to the namespace's other
     * functions: each counts with its current target, or its ready and starting instances while it has none.
     */
    private Decision capToQuota(FunctionId id, int memoryMb, Decision d, Map<FunctionId, InstanceLoad> load) {
        NamespaceQuota quota = quotas.quota(id.namespace());
        if (!quota.limited()) {
            return d;
        }
        NamespaceUsage others = NamespaceUsage.NONE;
        Set<FunctionId> seen = new java.util.HashSet<>();
        for (Map.Entry<FunctionId, Tracked> e : tracked.entrySet()) {
            FunctionId other = e.getKey();
            if (other.equals(id) || !other.namespace().equals(id.namespace())) {
                continue;
            }
            seen.add(other);
            InstanceLoad l = load.get(other);
            int count = e.getValue().target >= 0 ? e.getValue().target : l == null ? 0 : l.ready() + l.starting();
            others = others.plus(count, memoryOf(other));
        }
        for (Map.Entry<FunctionId, InstanceLoad> e : load.entrySet()) {
            FunctionId other = e.getKey();
            if (!other.equals(id) && other.namespace().equals(id.namespace()) && !seen.contains(other)) {
                others = others.plus(e.getValue().ready() + e.getValue().starting(), memoryOf(other));
            }
        }
        int capped = QuotaCheck.cap(quota, others, memoryMb, d.desired());
        if (capped >= d.desired()) {
            return d;
        }
        String why = QuotaCheck.admit(id.namespace(), quota, others.plus(capped, memoryMb), d.desired() - capped,
                memoryMb, "scaling " + id + " to " + d.desired()).map(QuotaExceeded::detail).orElse("namespace quota");
        return new Decision(capped, d.previous(), d.reason() + "; capped at " + capped + ": " + why, d.rule(), d.state(),
                d.wakeAt());
    }

    private int memoryOf(FunctionId id) {
        return catalog.get(id).flatMap(FunctionRecord::liveVersion).map(v -> v.spec().memoryMb()).orElse(0);
    }

    private static Map<String, Double> values(FunctionMetrics m, ScalingConfig c, Instant now) {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("concurrency.now", (double) m.inFlight());
        String up = "avg" + c.upWindow().toSeconds() + "s";
        String stable = "avg" + c.stableWindow().toSeconds() + "s";
        for (MetricType type : MetricType.values()) {
            put(v, type.key() + "." + up, m.average(type, now.minus(c.upWindow())));
            put(v, type.key() + "." + stable, m.average(type, now.minus(c.stableWindow())));
        }
        put(v, "concurrency.peak" + c.stableWindow().toSeconds() + "s", m.peak(MetricType.CONCURRENCY, now.minus(c.stableWindow())));
        return v;
    }

    private static void put(Map<String, Double> v, String key, OptionalDouble d) {
        if (d.isPresent()) {
            v.put(key, Math.round(d.getAsDouble() * 1000) / 1000.0);
        }
    }

    /** What the loop remembers of one function; touched only inside {@link #tick} and {@link #setActive}. */
    private static final class Tracked {
        final ArrayDeque<MetricSample> samples = new ArrayDeque<>();
        final ArrayDeque<ScalingEvent> events = new ArrayDeque<>();
        ScalerState state = ScalerState.initial();
        int target = -1;
        Decision last;
        Instant decidedAt;
        int version = -1;
        long served;
        Instant sampledAt;
        Optional<Instant> idleSince = Optional.empty();
        boolean everActive;
        IdleHistogram idleTimes = IdleHistogram.empty();
        int instances;
        int inFlight;
        final ArrivalHistory arrivals = new ArrivalHistory();

        void observe(Instant now, InstanceLoad l, Duration keep) {
            long grown = 0;
            if (l.version() == version && l.served() >= served) {
                grown = l.served() - served;
            } else {
                arrivals.clear();
            }
            double seconds = sampledAt == null ? 0 : Duration.between(sampledAt, now).toNanos() / 1e9;
            double rps = seconds > 0 ? grown / Math.max(seconds, 1.0) : 0;
            version = l.version();
            served = l.served();
            sampledAt = now;
            inFlight = l.inFlight() + l.queued();
            instances = l.ready() + l.starting();
            // CPU and memory are totals over the measured instances, taken as the whole function's when every
            // ready instance was measured, and scaled up to the ready count when only some were (one just started)
            double cpu = Double.NaN;
            double memory = Double.NaN;
            if (l.measured() > 0) {
                double scale = Math.max(1.0, (double) l.ready() / l.measured());
                cpu = l.cpu() * scale;
                memory = l.memoryMb() * scale;
            }
            samples.addLast(new MetricSample(now, inFlight, rps, cpu, memory));
            arrivals.observe(now, l.served(), l.inFlight(), inFlight, keep);
            Instant oldest = now.minus(keep);
            for (Iterator<MetricSample> it = samples.iterator(); it.hasNext() && it.next().at().isBefore(oldest); ) {
                it.remove();
            }
            boolean activity = inFlight > 0 || grown > 0;
            if (activity) {
                if (everActive && idleSince.isPresent()) {
                    idleTimes = idleTimes.record(Duration.between(idleSince.get(), now));
                }
                everActive = true;
                idleSince = inFlight > 0 ? Optional.empty() : Optional.of(now);
            } else if (everActive && idleSince.isEmpty()) {
                idleSince = Optional.of(now);
            }
        }

        FunctionMetrics metrics() {
            MetricSamples all = new MetricSamples(List.copyOf(samples), instances, inFlight, idleSince, idleTimes);
            Optional<OfferedLoad> offered = arrivals.estimate();
            return new FunctionMetrics() {
                @Override
                public Optional<OfferedLoad> offered() {
                    return offered;
                }

                @Override
                public OptionalDouble average(MetricType type, Instant from) {
                    return all.average(type, from);
                }

                @Override
                public OptionalDouble peak(MetricType type, Instant from) {
                    return all.peak(type, from);
                }

                @Override
                public OptionalDouble quantile(MetricType type, Instant from, double percentile) {
                    return all.quantile(type, from, percentile);
                }

                @Override
                public int instances() {
                    return all.instances();
                }

                @Override
                public int inFlight() {
                    return all.inFlight();
                }

                @Override
                public Optional<Instant> idleSince() {
                    return all.idleSince();
                }

                @Override
                public IdleHistogram idleTimes() {
                    return all.idleTimes();
                }
            };
        }
    }
}
