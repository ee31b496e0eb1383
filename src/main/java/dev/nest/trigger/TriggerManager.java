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
 * once and shown by {@link #describe}. Nothing here stops the node.
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

    private final FunctionCatalog catalog;
    private final TriggerTypes types;
    private final InvocationSink sink;
    private final TriggerStateStore states;
    private final BooleanSupplier leads;
    private final Clock clock;
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

    /** A function's trigger. */
    record Key(FunctionId function, String name) {
    }

    private record Running(TriggerSpec spec, TriggerSource source) {
    }

    /**
     * @param leads whether this node leads its region now (read at each round)
     */
    public TriggerManager(FunctionCatalog catalog, TriggerTypes types, InvocationSink sink, TriggerStateStore states,
                          BooleanSupplier leads, Clock clock) {
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
            if (leads.getAsBoolean() != appliedLeader) {
                reconcileSoon();
            }
        }, 1, 1, TimeUnit.SECONDS);
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
            if (want == null || !want.equals(e.getValue().spec())) {
                stop(e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<Key, TriggerSpec> e : wanted.entrySet()) {
            if (!running.containsKey(e.getKey())) {
                start(e.getKey(), e.getValue()).ifPresent(problem -> why.put(e.getKey(), problem));
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

    private Optional<String> start(Key key, TriggerSpec spec) {
        TriggerSourceProvider p = types.provider(spec.type()).orElseThrow();
        try {
            TriggerSource source = p.create(new TriggerContext(key.function(), key.name(), spec.settings(), sink,
                    states.of(key.function(), key.name()), clock, timer));
            source.start();
            running.put(key, new Running(spec, source));
            LOG.info("trigger " + key.name() + " (" + spec.type() + ") of " + key.function() + " started");
            return Optional.empty();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "trigger " + key.name() + " of " + key.function() + " failed to start", e);
            return Optional.of("failed to start: " + e.getMessage());
        }
    }

    private void stop(Key key, Running r) {
        running.remove(key);
        try {
            r.source().close();
            LOG.info("trigger " + key.name() + " of " + key.function() + " stopped");
        } catch (RuntimeException e) {
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
                details.setAll(r.source().status());
            }
            out.add(new TriggerStatus(t.name(), t.type(), p.map(x -> x.placement().label()), r != null, problem,
                    details));
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
