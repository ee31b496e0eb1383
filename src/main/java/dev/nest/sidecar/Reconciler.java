package dev.nest.sidecar;

import dev.nest.common.Ticker;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Brings the node's instances in line with the catalog and the autoscaler's targets, every second and at once
 * after a change ({@link #wake}): keeps {@code scaling.min} (or {@code max(scaling.min, target)}) instances of each
 * live version (and of every version an alias sends traffic to: a canary keeps instances like the live one), stops
 * idle instances under the {@link KeepAliveRule}, stops everything of a deleted function or
 * version, and drops the sets nothing uses any more.
 *
 * <p>Failure: a pass that throws is logged and the next one runs a second later. Threads: passes run on the
 * {@code nest-agent-reconcile} thread (tests call {@link #reconcile} directly); targets are set from any thread;
 * {@link #afterRelease} runs on request threads.
 */
final class Reconciler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Reconciler.class.getName());

    private final FunctionCatalog catalog;
    private final NodeInstances sets;
    private final ColdStart starts;
    private final NodePods pods;
    private final KeepAliveRule rule;
    private final Duration stopGrace;
    private final LongSupplier nanoTime;
    private final AutoMoves moves;
    private final Map<FunctionId, Integer> targets = new ConcurrentHashMap<>();
    /** When each target was last set, in {@code nanoTime}'s terms: instances started later are unseen by it. */
    private final Map<FunctionId, Long> targetSetAt = new ConcurrentHashMap<>();
    private final Ticker ticker = new Ticker("nest-agent-reconcile", Duration.ofSeconds(1), this::reconcile,
            e -> LOG.log(Level.WARNING, "reconcile failed", e));
    private volatile boolean closed;

    Reconciler(FunctionCatalog catalog, NodeInstances sets, ColdStart starts, NodePods pods, KeepAliveRule rule,
               Duration stopGrace, LongSupplier nanoTime, AutoMoves moves) {
        this.moves = moves;
        this.catalog = catalog;
        this.sets = sets;
        this.starts = starts;
        this.pods = pods;
        this.rule = rule;
        this.stopGrace = stopGrace;
        this.nanoTime = nanoTime;
    }

    /** Starts the passes: one now, then every second, and one after each change of the catalog. */
    void start() {
        catalog.addListener((id, now) -> wake());
        ticker.start();
    }

    /** Asks for a pass now (nothing before {@link #start}). */
    void wake() {
        ticker.wake();
    }

    /** See {@link NodeAgent#setTarget}. */
    void setTarget(FunctionId id, int instances) {
        if (instances < 0) {
            throw new IllegalArgumentException("target of " + id + " must be >= 0, got " + instances);
        }
        targetSetAt.put(id, nanoTime.getAsLong());
        targets.put(id, instances);
        wake();
    }

    void clearTarget(FunctionId id) {
        if (targets.remove(id) != null) {
            targetSetAt.remove(id);
            wake();
        }
    }

    Optional<Integer> target(FunctionId id) {
        return Optional.ofNullable(targets.get(id));
    }

    boolean isLive(FunctionVersion v) {
        Optional<FunctionRecord> rec = catalog.get(v.spec().id());
        return rec.isPresent() && rec.get().live() == v.version();
    }

    /**
     * A request on {@code i} ended and no waiter took it: under a target, an idle instance above it stops now, unless
     * the target is 0 and the instance started after it was set (a request started it before the scaler's next round
     * could count it; the scaler has not seen it yet, see {@link KeepAliveRule}).
     */
    void afterRelease(InstanceSet set, Instance i) {
        if (targets.isEmpty()) {
            return;
        }
        FunctionVersion v = set.version();
        Integer target = targets.get(v.spec().id());
        if (target == null || !isLive(v) || target == 0 && unseen(v.spec().id(), i.startedNanos)) {
            return;
        }
        set.removeIdleAbove(i, Math.max(v.spec().scaling().min(), target)).ifPresent(out -> pods.stopLater(out, stopGrace));
    }

    /** Whether an instance that started at {@code startedNanos} started after {@code id}'s target was set. */
    private boolean unseen(FunctionId id, long startedNanos) {
        Long setAt = targetSetAt.get(id);
        return setAt != null && startedNanos - setAt > 0;
    }

    /** One pass: minimums and targets, keep-alive expiry, deleted functions. */
    void reconcile() {
        if (closed) {
            return;
        }
        try {
            long now = nanoTime.getAsLong();
            for (FunctionRecord r : catalog.all()) {
                r.liveVersion().ifPresent(v -> {
                    if (v.spec().scaling().min() > 0 || targets.getOrDefault(v.spec().id(), 0) > 0) {
                        sets.of(v);
                    }
                });
                if (r.aliases().size() > 1 || r.alias(dev.nest.function.Alias.LIVE).filter(a -> !a.isSingle()).isPresent()) {
                    for (int n : r.routedVersions()) {
                        r.version(n).filter(v -> v.spec().scaling().min() > 0).ifPresent(sets::of);
                    }
                }
            }
            for (InstanceSet set : sets.all()) {
                reconcile(set, now);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reconcile failed", e);
        }
    }

    private void reconcile(InstanceSet set, long now) {
        FunctionVersion v = set.version();
        Optional<FunctionRecord> rec = catalog.get(v.spec().id());
        // a version an alias sends traffic to (a canary, a weighted split) is kept like the live one; the scaler's
        // target applies to the live version only
        boolean primary = rec.isPresent() && rec.get().live() == v.version();
        boolean live = primary || rec.isPresent() && rec.get().routedVersions().contains(v.version());
        if (rec.isEmpty() || rec.get().version(v.version()).isEmpty()) {
            set.drainAll().forEach(i -> pods.stopLater(i, stopGrace));
        } else {
            Optional<Integer> target = primary ? target(v.spec().id()) : Optional.empty();
            Long setAt = targetSetAt.get(v.spec().id());
            boolean unseen = target.isPresent() && target.get() == 0 && setAt != null && set.startedAfter(setAt);
            KeepAliveRule.Situation situation = new KeepAliveRule.Situation(live, set.liveChange(live, now),
                    v.spec().scaling(), target, unseen);
            KeepAliveRule.Policy policy = rule.policy(situation, now);
            set.expire(now, policy).forEach(i -> pods.stopLater(i, stopGrace));
            if (live) {
                starts.launch(set, set.deficit(policy.keep()));
            }
            if (primary) {
                moves.check(set); // deploy: auto between merged and dedicated pods as traffic changes
            }
        }
        if (set.isEmpty() && !live) {
            sets.remove(set);
        }
    }

    @Override
    public void close() {
        closed = true;
        ticker.close();
    }
}
