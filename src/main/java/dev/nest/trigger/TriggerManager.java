package dev.nest.trigger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.SpecProblem;
import dev.nest.function.TriggerSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Keeps this node's trigger sources equal to what the live versions' specs ask for: a source for each trigger whose
 * type is known here, of a {@link TriggerPlacement#LEADER} type only while this node leads. It reconciles when a
 * function changes (catalog listener), when leadership changes ({@link #leadershipChanged}) and at {@link #start}: a
 * trigger whose type or settings changed is stopped and started again; one that is gone is stopped.
 *
 * <p>Failure: a trigger whose type is unknown here (a plugin missing on this node), whose settings its provider
 * refuses (a spec written before a check existed) or whose source fails to start is not run; the reason is logged
 * once and shown by {@link #describe}. A source (or a plugin's code) that throws, even a linkage error of a plugin
 * missing a class, fails its own trigger only. Nothing here stops the node.
 *
 * <p>Limits: at most {@code maxSources} sources run on this node ({@value #MAX_SOURCES} by default): each costs
 * threads, connections or ZooKeeper writes, so ten thousand triggers must not exhaust a node. Triggers beyond the
 * limit do not run here, in the order of function and trigger name (those running keep running); {@code /health}
 * and the triggers route name them and the limit.
 *
 * <p>Threads: reconciliation runs on one daemon thread, {@code nest-triggers}, so sources are created, started
 * and closed one at a time; callers only ask for a round. Sources get a shared scheduler
 * ({@code nest-trigger-timer}, {@value #TIMER_THREADS} threads) for their timed work. {@link #describe} may be called
 * from any thread (it reads stored state, blocking on ZooKeeper). Lifecycle: {@link #start} once, {@link #close}
 * stops every source.
 */
public final class TriggerManager implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TriggerManager.class.getName());
    static final int TIMER_THREADS = 4;
    /** How many trigger sources one node runs at most, by default. */
    public static final int MAX_SOURCES = 1_000;

    private final FunctionCatalog catalog;
    private final TriggerTypes types;
    private final InvocationSink sink;
    private final TriggerStateStore states;
    private final BooleanSupplier leads;
    private final Clock clock;
    private final int maxSources;
    private final ExecutorService control = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("nest-triggers").unstarted(r));
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(TIMER_THREADS,
            Thread.ofPlatform().daemon().name("nest-trigger-timer-", 0).factory());
    private final AtomicBoolean queued = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The leadership the last round applied (control thread writes, the timer reads). */
    private volatile boolean appliedLeader;
    /** Running sources by key; written on the control thread only. */
    private final Map<Key, Running> running = new ConcurrentHashMap<>();
    /** Why a trigger does not run, by key; written on the control thread only. */
    private final Map<Key, String> problems = new ConcurrentHashMap<>();
    /** Triggers whose source failed to start or stopped by itself, with when to try again; control thread writes. */
    private final Map<Key, Failing> failing = new ConcurrentHashMap<>();
    /** How long a restarted source must run without failing before its failures are forgotten. */
    static final java.time.Duration HEALTHY_AFTER = java.time.Duration.ofSeconds(60);
    /** The longest wait between two start attempts of a failing trigger. */
    static final java.time.Duration MAX_RETRY = java.time.Duration.ofMinutes(5);

    /** A function's trigger. */
    record Key(FunctionId function, String name) {
    }

    /** By function, then trigger name. */
    private static final java.util.Comparator<Key> ORDER = java.util.Comparator
            .comparing((Key k) -> k.function().toString()).thenComparing(Key::name);

    private record Running(TriggerSpec spec, TriggerSource source, java.time.Instant started) {
    }

    /** {@code failures} in a row; the next start attempt not before {@code retryAt}. */
    private record Failing(int failures, java.time.Instant retryAt, String why) {
    }

    /**
     * How long to wait before starting a trigger again after {@code failures} failures in a row: 5 s, doubling with
     * each failure, at most {@link #MAX_RETRY}.
     */
    static java.time.Duration retryDelay(int failures) {
        if (failures <= 0) {
            return java.time.Duration.ZERO;
        }
        long seconds = 5L << Math.min(failures - 1, 16);
        return seconds >= MAX_RETRY.toSeconds() ? MAX_RETRY : java.time.Duration.ofSeconds(seconds);
    }

    /**
     * @param leads whether this node leads its region now (read at each round)
     */
    public TriggerManager(FunctionCatalog catalog, TriggerTypes types, InvocationSink sink, TriggerStateStore states,
                          BooleanSupplier leads, Clock clock) {
        this(catalog, types, sink, states, leads, clock, MAX_SOURCES);
    }

    /**
     * @param leads      whether this node leads its region now (read at each round)
     * @param maxSources how many sources this node runs at most (1 or more)
     */
    public TriggerManager(FunctionCatalog catalog, TriggerTypes types, InvocationSink sink, TriggerStateStore states,
                          BooleanSupplier leads, Clock clock, int maxSources) {
        if (maxSources < 1) {
            throw new IllegalArgumentException("maxSources must be at least 1, not " + maxSources);
        }
        this.maxSources = maxSources;
        this.catalog = catalog;
        this.types = types;
        this.sink = sink;
        this.states = states;
        this.leads = leads;
        this.clock = clock;
    }

    /**
     * Subscribes to the catalog and runs the first round. Once a second it also compares the leadership with the one
     * the last round applied and runs a round when they differ: a leadership callback that came before this node's
     * epoch was claimed (so that round still saw a follower) is caught up within a second.
     */
    public void start() {
        catalog.addListener((id, now) -> reconcileSoon());
        reconcileSoon();
        timer.scheduleWithFixedDelay(() -> {
            if (leads.getAsBoolean() != appliedLeader || retryDue() || running.values().stream()
                    .anyMatch(r -> failed(r.source()).isPresent())) {
                reconcileSoon();
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    private boolean retryDue() {
        java.time.Instant now = clock.instant();
        return failing.entrySet().stream().anyMatch(e -> {
            Running r = running.get(e.getKey());
            return r == null ? !e.getValue().retryAt().isAfter(now) : healthy(r, now);
        });
    }

    /** Whether a running source has run long enough since its start to forget its earlier failures. */
    private static boolean healthy(Running r, java.time.Instant now) {
        return !r.started().plus(HEALTHY_AFTER).isAfter(now);
    }

    /** A source's own failure; a source whose check throws counts as failed. */
    private static Optional<String> failed(TriggerSource source) {
        try {
            return source.failure();
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("its failure check threw " + e);
        }
    }

    /** Called when this node wins or loses the leadership (any thread). */
    public void leadershipChanged(boolean leadsNow) {
        reconcileSoon();
    }

    /** Asks for a round on the control thread; rounds asked for while one is queued are one. */
    void reconcileSoon() {
        if (closed.get() || !queued.compareAndSet(false, true)) {
            return;
        }
        try {
            control.execute(() -> {
                queued.set(false);
                reconcile();
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            queued.set(false); // closing
        }
    }

    /** One round: start what is wanted and missing, stop what runs and is not wanted (control thread). */
    void reconcile() {
        if (closed.get()) {
            return;
        }
        boolean leader = leads.getAsBoolean();
        appliedLeader = leader;
        Map<Key, TriggerSpec> wanted = new HashMap<>();
        Map<Key, String> why = new HashMap<>();
        for (FunctionRecord r : catalog.all()) {
            Optional<FunctionVersion> live = r.liveVersion();
            if (live.isEmpty()) {
                continue;
            }
            FunctionSpec spec = live.get().spec();
            for (TriggerSpec t : spec.triggers()) {
                Key key = new Key(r.id(), t.name());
                Optional<TriggerSourceProvider> p = types.provider(t.type());
                if (p.isEmpty()) {
                    why.put(key, "trigger type '" + t.type() + "' is not installed on this node (known: "
                            + String.join(", ", types.types()) + ")");
                    continue;
                }
                if (p.get().placement() == TriggerPlacement.LEADER && !leader) {
                    continue;
                }
                List<SpecProblem> bad = p.get().validate("triggers." + t.name(), t.settings());
                if (!bad.isEmpty()) {
                    why.put(key, bad.stream().map(SpecProblem::toString).collect(Collectors.joining("; ")));
                    continue;
                }
                wanted.put(key, t);
            }
        }
        for (Map.Entry<Key, Running> e : new ArrayList<>(running.entrySet())) {
            TriggerSpec want = wanted.get(e.getKey());
            Optional<String> failure = failed(e.getValue().source());
            if (want == null || !want.equals(e.getValue().spec())) {
                stop(e.getKey(), e.getValue());
                failing.remove(e.getKey());
            } else if (failure.isPresent()) {
                LOG.warning("trigger " + e.getKey().name() + " of " + e.getKey().function() + " stopped by itself: "
                        + failure.get());
                stop(e.getKey(), e.getValue());
                fail(e.getKey(), "stopped by itself: " + failure.get());
            } else if (healthy(e.getValue(), clock.instant())) {
                failing.remove(e.getKey());
            }
        }
        failing.keySet().retainAll(wanted.keySet());
        java.time.Instant now = clock.instant();
        List<Map.Entry<Key, TriggerSpec>> toStart = new ArrayList<>(wanted.entrySet());
        toStart.sort(Map.Entry.comparingByKey(ORDER));
        for (Map.Entry<Key, TriggerSpec> e : toStart) {
            if (running.containsKey(e.getKey())) {
                continue;
            }
            if (running.size() >= maxSources) {
                why.put(e.getKey(), "not started: this node runs " + maxSources + " trigger sources, its limit ("
                        + wanted.size() + " are wanted here); remove triggers, or spread the functions over regions");
                continue;
            }
            Failing f = failing.get(e.getKey());
            if (f != null && f.retryAt().isAfter(now)) {
                why.put(e.getKey(), describe(f, now));
                continue;
            }
            Optional<String> problem = start(e.getKey(), e.getValue());
            if (problem.isPresent()) {
                Failing now2 = fail(e.getKey(), problem.get());
                why.put(e.getKey(), describe(now2, clock.instant()));
            }
        }
        why.forEach((k, v) -> {
            if (!v.equals(problems.get(k))) {
                LOG.warning("trigger " + k.name() + " of " + k.function() + " does not run: " + v);
            }
        });
        problems.keySet().retainAll(why.keySet());
        problems.putAll(why);
    }

    private Failing fail(Key key, String why) {
        int n = Optional.ofNullable(failing.get(key)).map(Failing::failures).orElse(0) + 1;
        Failing f = new Failing(n, clock.instant().plus(retryDelay(n)), why);
        failing.put(key, f);
        return f;
    }

    private static String describe(Failing f, java.time.Instant now) {
        long in = Math.max(0, java.time.Duration.between(now, f.retryAt()).toSeconds());
        return f.why() + " (" + f.failures() + (f.failures() == 1 ? " failure" : " failures in a row")
                + "; next attempt at " + f.retryAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ", in " + in
                + " s)";
    }

    private Optional<String> start(Key key, TriggerSpec spec) {
        TriggerSourceProvider p = types.provider(spec.type()).orElseThrow();
        try {
            TriggerSource source = p.create(new TriggerContext(key.function(), key.name(), spec.settings(), sink,
                    states.of(key.function(), key.name()), clock, timer));
            try {
                source.start();
            } catch (RuntimeException | LinkageError e) {
                try { // what it started before it threw (threads, connections) must not linger
                    source.close();
                } catch (RuntimeException | LinkageError ignored) {
                    LOG.log(Level.FINE, "closing a trigger source that failed to start", ignored);
                }
                throw e;
            }
            running.put(key, new Running(spec, source, clock.instant()));
            LOG.info("trigger " + key.name() + " (" + spec.type() + ") of " + key.function() + " started");
            return Optional.empty();
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "trigger " + key.name() + " of " + key.function() + " failed to start", e);
            return Optional.of("failed to start: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private void stop(Key key, Running r) {
        running.remove(key);
        try {
            r.source().close();
            LOG.info("trigger " + key.name() + " of " + key.function() + " stopped");
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "trigger " + key.name() + " of " + key.function() + " failed to stop", e);
        }
    }

    /**
     * The triggers of {@code id}'s live version as this node sees them: where they run, whether here, and each
     * type's own view (stored state read from ZooKeeper).
     */
    public List<TriggerStatus> describe(FunctionId id) {
        Optional<FunctionSpec> spec = catalog.get(id).flatMap(FunctionRecord::liveVersion).map(FunctionVersion::spec);
        if (spec.isEmpty()) {
            return List.of();
        }
        List<TriggerStatus> out = new ArrayList<>();
        for (TriggerSpec t : spec.get().triggers()) {
            Key key = new Key(id, t.name());
            Optional<TriggerSourceProvider> p = types.provider(t.type());
            ObjectNode details = JsonNodeFactory.instance.objectNode();
            Optional<String> problem = Optional.ofNullable(problems.get(key));
            if (p.isPresent()) {
                try {
                    Optional<byte[]> stored = states.of(id, t.name()).read().map(TriggerState.Stored::data);
                    details.setAll(p.get().describe(t.settings(), stored, clock.instant()));
                } catch (RuntimeException e) {
                    problem = Optional.of("stored state unavailable: " + e.getMessage());
                }
            } else if (problem.isEmpty()) {
                problem = Optional.of("trigger type '" + t.type() + "' is not installed on this node");
            }
            Running r = running.get(key);
            if (r != null) {
                try {
                    details.setAll(r.source().status());
                } catch (RuntimeException | LinkageError e) {
                    details.put("statusError", String.valueOf(e));
                }
            }
            out.add(new TriggerStatus(t.name(), t.type(), p.map(x -> x.placement().label()), r != null, problem,
                    details));
        }
        return out;
    }

    /**
     * Every trigger that does not work on this node and why, then every trigger type that failed to load, for
     * {@code /health}: an unknown type, settings refused, a source that failed to start or stopped by itself (with
     * its failures in a row and the next attempt). A leader-only trigger on a follower is no problem. Any thread.
     */
    public List<TriggerProblem> problems() {
        List<TriggerProblem> out = new ArrayList<>();
        Map<Key, String> now = new java.util.TreeMap<>(java.util.Comparator.comparing((Key k) -> k.function().toString())
                .thenComparing(Key::name));
        now.putAll(problems);
        failing.forEach((k, f) -> {
            if (running.containsKey(k) && !now.containsKey(k)) {
                now.put(k, "started again after " + f.failures() + (f.failures() == 1 ? " failure" : " failures in a row")
                        + " (the last: " + f.why() + "); forgotten once it runs " + HEALTHY_AFTER.toSeconds()
                        + " s without failing");
            }
        });
        now.forEach((k, why) -> out.add(new TriggerProblem(Optional.of(k.function().toString()), Optional.of(k.name()),
                typeOf(k), why, Optional.ofNullable(failing.get(k)).map(Failing::failures).orElse(0))));
        for (String p : types.problems()) {
            out.add(new TriggerProblem(Optional.empty(), Optional.empty(), "provider", p, 0));
        }
        return out;
    }

    private String typeOf(Key k) {
        return catalog.get(k.function()).flatMap(FunctionRecord::liveVersion)
                .flatMap(v -> v.spec().triggers().stream().filter(t -> t.name().equals(k.name())).findFirst())
                .map(TriggerSpec::type).orElse("");
    }

    /**
     * What the running sources publish ({@link TriggerSource#metrics}), named {@code nest_trigger_<name>} with the
     * labels {@code function} and {@code trigger} first, sorted by function and trigger; a source whose metrics throw
     * is skipped. Called on the scraping thread.
     */
    public List<dev.nest.metrics.MetricSample> metrics() {
        List<dev.nest.metrics.MetricSample> out = new ArrayList<>();
        List<Map.Entry<Key, Running>> sources = new ArrayList<>(running.entrySet());
        sources.sort(Map.Entry.comparingByKey(java.util.Comparator.comparing((Key k) -> k.function().toString())
                .thenComparing(Key::name)));
        for (Map.Entry<Key, Running> e : sources) {
            List<TriggerMetric> ms;
            try {
                ms = e.getValue().source().metrics();
            } catch (RuntimeException | LinkageError ex) {
                LOG.fine("metrics of trigger " + e.getKey().name() + " skipped: " + ex);
                continue;
            }
            for (TriggerMetric m : ms) {
                List<String> labels = new ArrayList<>(List.of("function", e.getKey().function().toString(), "trigger",
                        e.getKey().name()));
                labels.addAll(m.labels());
                out.add(new dev.nest.metrics.MetricSample(m.metricName(), m.kind().label(), m.help(), labels,
                        m.value()));
            }
        }
        return out;
    }

    /** The number of sources running on this node (tests, metrics). */
    public int runningCount() {
        return running.size();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        control.execute(() -> new ArrayList<>(running.entrySet()).forEach(e -> stop(e.getKey(), e.getValue())));
        control.shutdown();
        try {
            if (!control.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warning("trigger sources did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
    }
}
