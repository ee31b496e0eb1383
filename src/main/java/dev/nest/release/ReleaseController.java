package dev.nest.release;

import dev.nest.common.Ticker;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import dev.nest.function.Release;
import dev.nest.load.VersionTraffic;
import dev.nest.store.AuditEntry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The leader's loop that carries canary releases on: every {@link #TICK}, for each function whose release is
 * {@code running}, it sums the stable and canary versions' requests over the step's window from every node's
 * counters ({@link VersionTraffic}, as the load reports bring them), asks {@link ReleaseAnalysis} and writes the
 * outcome: the next step's split, the promotion, or all traffic back to the stable version, each in one write of the
 * function's head together with the release's state, and an audit entry.
 *
 * <p>State: the release itself lives in the function's head in ZooKeeper, so a new leader carries it on; the
 * window's starting counters live only here, so a new leader (or this one after a restart) opens the current step's
 * window again when it first sees the release (the step lasts longer; nothing is judged on counts it did not see
 * start). A node first seen within a window counts from then. A node whose reports stop drops out of the sums.
 *
 * <p>Fencing: each write applies only when the head still holds the release as judged (same start, step and
 * state), so a former leader's late decision, or one that crosses a pause, abort or rollback, changes nothing.
 *
 * <p>Lifecycle: {@link #start}, {@link #close}. Threads: rounds run on one {@code nest-releases} thread and do
 * nothing while {@code leads} is false; a failed write (ZooKeeper away) is logged and tried again next round.
 */
public final class ReleaseController implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReleaseController.class.getName());
    /** How often releases are judged. */
    public static final Duration TICK = Duration.ofMillis(500);
    /** The least time between two writes of a waiting step's figures. */
    static final Duration FIGURES_EVERY = Duration.ofSeconds(2);

    private final FunctionRegistry registry;
    private final Supplier<Map<String, List<VersionTraffic>>> traffic;
    private final Consumer<AuditEntry> audit;
    private final Clock clock;
    private final BooleanSupplier leads;
    private final Ticker ticker;
    private final Map<FunctionId, StepWindow> windows = new HashMap<>();

    /** The counters at the opening of one step's window, per node key and version. */
    private record StepWindow(Instant releaseStarted, int step, Instant opened, Map<String, Map<Integer, Window>> base,
                              Instant figuresWritten) {
        boolean of(Release r) {
            return r.startedAt().equals(releaseStarted) && r.step() == step;
        }
    }

    /**
     * @param registry the functions (read from memory, written through optimistic transactions)
     * @param traffic  every node's cumulative counters by {@code node/boot} ({@code ClusterLoad::traffic})
     * @param audit    where each step, promotion and rollback is recorded
     * @param leads    whether this node leads its region now
     */
    public ReleaseController(FunctionRegistry registry, Supplier<Map<String, List<VersionTraffic>>> traffic,
                             Consumer<AuditEntry> audit, Clock clock, BooleanSupplier leads) {
        this.registry = registry;
        this.traffic = traffic;
        this.audit = audit;
        this.clock = clock;
        this.leads = leads;
        this.ticker = new Ticker("nest-releases", TICK, this::round, e -> LOG.log(Level.WARNING, "release round failed", e));
    }

    public void start() {
        ticker.start();
    }

    public Ticker.State state() {
        return ticker.state();
    }

    /** One round: judge every running release (called by the loop thread, and by tests). */
    public synchronized void round() {
        if (!leads.getAsBoolean()) {
            windows.clear();
            return;
        }
        Map<String, List<VersionTraffic>> now = traffic.get();
        Map<FunctionId, StepWindow> kept = new HashMap<>();
        for (FunctionRecord r : registry.all()) {
            Optional<Release> rel = r.release().filter(x -> x.state() == Release.State.RUNNING);
            if (rel.isEmpty()) {
                continue;
            }
            StepWindow w = windows.get(r.id());
            if (w == null || !w.of(rel.get())) {
                Instant opened = clock.instant();
                kept.put(r.id(), new StepWindow(rel.get().startedAt(), rel.get().step(), opened,
                        counters(now, r.id(), rel.get()), opened));
                if (w == null && rel.get().stepStartedAt().isBefore(opened.minus(TICK.multipliedBy(4)))) {
                    LOG.info("release of " + r.id() + " to v" + rel.get().to() + ": taking over step "
                            + (rel.get().step() + 1) + "; its window opens again now");
                }
                continue;
            }
            try {
                kept.put(r.id(), judge(r, rel.get(), w, now));
            } catch (RuntimeException e) {
                kept.put(r.id(), w);
                LOG.log(Level.WARNING, "cannot carry the release of " + r.id() + " on: " + e.getMessage(), e);
            }
        }
        windows.clear();
        windows.putAll(kept);
    }

    private StepWindow judge(FunctionRecord r, Release rel, StepWindow w, Map<String, List<VersionTraffic>> now) {
        Map<String, Map<Integer, Window>> current = counters(now, r.id(), rel);
        Map<String, Map<Integer, Window>> base = new HashMap<>(w.base());
        Window stable = Window.EMPTY;
        Window canary = Window.EMPTY;
        for (Map.Entry<String, Map<Integer, Window>> node : current.entrySet()) {
            Map<Integer, Window> before = base.computeIfAbsent(node.getKey(), k -> node.getValue()); // first seen: from now
            stable = stable.plus(node.getValue().getOrDefault(rel.from(), Window.EMPTY)
                    .minus(before.getOrDefault(rel.from(), Window.EMPTY)));
            canary = canary.plus(node.getValue().getOrDefault(rel.to(), Window.EMPTY)
                    .minus(before.getOrDefault(rel.to(), Window.EMPTY)));
        }
        Instant at = clock.instant();
        ReleaseAnalysis.Verdict v = ReleaseAnalysis.judge(rel, r.alias(dev.nest.function.Alias.LIVE), stable, canary,
                w.opened(), at);
        StepWindow next = new StepWindow(w.releaseStarted(), w.step(), w.opened(), base, w.figuresWritten());
        switch (v) {
            case ReleaseAnalysis.Verdict.Wait wait -> {
                if (!wait.checks().equals(rel.checks()) && !at.isBefore(w.figuresWritten().plus(FIGURES_EVERY))) {
                    write(r.id(), rel, rel.withChecks(wait.checks(), wait.reason(), at), Optional.empty());
                    return new StepWindow(w.releaseStarted(), w.step(), w.opened(), base, at);
                }
            }
            case ReleaseAnalysis.Verdict.Fail fail -> write(r.id(), rel, rel.withChecks(fail.checks(), fail.reason(), at)
                    .with(Release.State.ROLLED_BACK, fail.reason(), at), Optional.of("release-rolled-back"));
            case ReleaseAnalysis.Verdict.Abort abort -> write(r.id(), rel, rel.withChecks(abort.checks(), abort.reason(), at)
                    .with(Release.State.ROLLED_BACK, abort.reason(), at), Optional.of("release-rolled-back"));
            case ReleaseAnalysis.Verdict.Pass pass -> {
                Release passed = rel.withChecks(pass.checks(), pass.reason(), at);
                if (rel.lastStep() || rel.percent() == 100) {
                    write(r.id(), rel, passed.with(Release.State.PROMOTED, pass.reason() + "; version " + rel.to()
                            + " promoted", at), Optional.of("release-promoted"));
                } else {
                    write(r.id(), rel, passed.nextStep(pass.reason() + "; step " + (rel.step() + 2) + " at "
                            + rel.steps().get(rel.step() + 1) + "%", at), Optional.of("release-step"));
                }
            }
        }
        return next;
    }

    /** Stores {@code next} in place of {@code judged}, when the head still holds {@code judged}. */
    private void write(FunctionId id, Release judged, Release next, Optional<String> auditAction) {
        if (registry.get(id).flatMap(FunctionRecord::release).filter(judged::equals).isEmpty()) {
            return;
        }
        boolean[] applied = {false};
        FunctionRecord stored = registry.update(id, Releases.API_ORIGIN, current -> {
            if (current.release().filter(judged::equals).isEmpty()) {
                return current;
            }
            applied[0] = true;
            return current.withRelease(next, next.updatedAt());
        });
        if (applied[0] && auditAction.isPresent()) {
            audit.accept(new AuditEntry(next.updatedAt(), id.toString(), auditAction.get(),
                    next.state() == Release.State.ROLLED_BACK ? next.from() : next.to(), "leader", next.reason()));
            LOG.info("release of " + id + ": " + next.reason() + " (live " + stored.alias(dev.nest.function.Alias.LIVE)
                    .map(a -> a.weights().toString()).orElse("-") + ")");
        }
    }

    /** Each node's counters of the release's two versions. */
    private static Map<String, Map<Integer, Window>> counters(Map<String, List<VersionTraffic>> all, FunctionId id,
                                                              Release rel) {
        String fn = id.toString();
        Map<String, Map<Integer, Window>> out = new HashMap<>();
        all.forEach((node, list) -> {
            Map<Integer, Window> m = new HashMap<>();
            for (VersionTraffic t : list) {
                if (t.function().equals(fn) && (t.version() == rel.from() || t.version() == rel.to())) {
                    m.put(t.version(), Window.of(t));
                }
            }
            out.put(node, m);
        });
        return out;
    }

    @Override
    public void close() {
        ticker.close();
    }
}
