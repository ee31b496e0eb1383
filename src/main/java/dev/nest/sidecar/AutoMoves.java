package dev.nest.sidecar;

import dev.nest.config.NestConfig;
import dev.nest.function.DeployMode;
import dev.nest.scheduler.Placement;
import dev.nest.function.FunctionSpec;
import dev.nest.runtime.RuntimeDefinition;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Moves the instances of {@code deploy: auto} functions between merged pods and pods of their own as their traffic
 * changes (ADR 0025), and a function of any {@code deploy} that allocates over {@code sidecar.merged-allocation-budget}
 * in a merged (Java) pod to a pod of its own, decided by {@link MergedPlacement#move}: a merged instance whose function reached
 * {@code sidecar.merge-below} requests per minute gets a replacement in a pod of its own, and a dedicated one whose
 * function fell under half of it gets one in a merged pod. The replacement serves first: only once it is ready is
 * the old instance retired (no new request; its requests in flight end where they are, then it stops), so a move
 * fails or repeats no request. A replacement that cannot start (node at capacity, a failed start) leaves the old
 * instance serving; the next reconciliation tries again. A function whose instances are at its {@code scaling.max}
 * is not moved (the replacement would exceed the cap while both run); it stays where it is until it has room. A burst
 * worker of an {@code auto} function moves to a pod of its own, the same way, once the node's steady need covers it
 * ({@link MergedPlacement#burstToOwnPod}); a move by traffic leaves burst workers alone.
 *
 * <p>Threads: {@link #check} on the reconcile thread; a move's start on its own virtual thread. At most one move per
 * function version is under way.
 */
final class AutoMoves {
    private static final Logger LOG = Logger.getLogger(AutoMoves.class.getName());

    private final NestConfig.Merged config;
    private final NodePods pods;
    private final ColdStart starts;
    private final RecentTraffic traffic;
    private final Duration stopGrace;
    private final LongSupplier nanoTime;
    private final Set<InstanceSet> moving = ConcurrentHashMap.newKeySet();

    AutoMoves(NestConfig.Merged config, NodePods pods, ColdStart starts, RecentTraffic traffic, Duration stopGrace,
              LongSupplier nanoTime) {
        this.config = config;
        this.pods = pods;
        this.starts = starts;
        this.traffic = traffic;
        this.stopGrace = stopGrace;
        this.nanoTime = nanoTime;
    }

    /**
     * Starts the move of one instance of {@code set}'s live version when its traffic says so, or when a merged
     * instance allocates over {@code sidecar.merged-allocation-budget} (the function is then held out of merged
     * pods on this node for {@link MergedPlacement#OVER_BUDGET_HOLD}).
     */
    void check(InstanceSet set) {
        FunctionSpec spec = set.version().spec();
        if (spec.deploy() == DeployMode.DEDICATED) {
            return;
        }
        if (config.inFlightBelow() > 0) {
            traffic.sampleInFlight(spec.id(), set.inFlight(), nanoTime.getAsLong());
        }
        if (config.burstWorkers() && spec.deploy() == DeployMode.AUTO) {
            // the steady need on this node, read once a pass (a second): beyond it, new instances are burst workers
            traffic.steady.sample(spec.id(), set.inFlight() + set.waiting(), nanoTime.getAsLong());
        }
        if (moving.contains(set)) {
            return;
        }
        RuntimeDefinition runtime;
        try {
            runtime = pods.runtime(spec.runtime());
        } catch (RuntimeException unknown) {
            return;
        }
        if (set.instances().size() + set.starting() >= spec.scaling().max()) {
            // a move runs the replacement beside the old instance for a moment: a function at its scaling.max (one
            // that allows one run at a time, say) would run more than its cap, so it stays where it is
            return;
        }
        long now = nanoTime.getAsLong();
        double perMinute = traffic.perMinute(spec.id(), now);
        double inFlight = traffic.inFlight(spec.id(), now);
        if (moveCoveredBurstWorker(set, spec, runtime, new Placement.MergeDemand(perMinute, inFlight), now)) {
            return;
        }
        for (Instance old : set.instances()) {
            if (old.state() != InstanceState.READY || old.burst) {
                continue; // a burst worker is in a merged pod on purpose: the scale-down stops it, or the move above
            }
            double allocating = old.allocationBytesPerSecond();
            if (old.merged() && MergedPlacement.overAllocationBudget(allocating, config)
                    && !traffic.heldOut(spec.id(), now)) {
                traffic.holdOut(spec.id(), now + MergedPlacement.OVER_BUDGET_HOLD.toNanos());
                LOG.warning(old + " allocates " + Math.round(allocating / (1 << 20)) + " MiB/s in merged pod "
                        + old.membership().map(MergedPods.Membership::podId).orElse("?")
                        + ", over sidecar.merged-allocation-budget " + config.allocationBudgetMb() + " MiB/s: "
                        + spec.id() + " moves to a pod of its own and stays out of merged pods for "
                        + MergedPlacement.OVER_BUDGET_HOLD.toMinutes() + " minutes");
            }
            boolean heldOut = traffic.heldOut(spec.id(), now);
            Optional<Boolean> to = MergedPlacement.move(old.merged(), spec, runtime,
                    new Placement.MergeDemand(perMinute, inFlight), heldOut, config);
            if (to.isPresent() && moving.add(set)) {
                LOG.info("moving " + old + " to " + (to.get() ? "a merged pod" : "a pod of its own") + ": "
                        + (heldOut ? "over its allocation budget" : Math.round(perMinute)
                        + " requests in the last minute, sidecar.merge-below " + config.mergeBelow()
                        + (config.inFlightBelow() > 0 ? ", " + String.format(java.util.Locale.ROOT, "%.2f", inFlight)
                        + " in flight on average, sidecar.merge-below-in-flight " + config.inFlightBelow() : "")));
                starts.startPlaced(set, to.get(), () -> {
                    retire(set, old);
                    moving.remove(set);
                }, () -> moving.remove(set));
                return;
            }
        }
    }

    /**
     * Moves one ready burst worker of {@code set} to a pod of its own when the node's steady need now covers it
     * ({@link MergedPlacement#burstToOwnPod}): the dedicated replacement starts first and serves; only then is the
     * worker retired (no new request, its requests in flight end in the merged pod, then it leaves the pod). The
     * busiest worker goes first (the one carrying what became steady load). A worker that stopped meanwhile (a
     * scale-down, its merged pod died, the version was replaced or the function deleted) is left as it is, and the
     * replacement is an ordinary instance the reconciler keeps or stops like any other. Returns whether a move began.
     */
    private boolean moveCoveredBurstWorker(InstanceSet set, FunctionSpec spec, RuntimeDefinition runtime,
                                           Placement.MergeDemand demand, long now) {
        if (!config.burstWorkers() || spec.deploy() != DeployMode.AUTO) {
            return false;
        }
        int own = 0;
        Instance busiest = null;
        synchronized (set) { // in-flight counts and use times are guarded by the set's lock
            for (Instance i : set.instances()) {
                if (i.state() != InstanceState.READY || i.retired) {
                    continue;
                }
                if (!i.merged()) {
                    own++;
                } else if (i.burst && (busiest == null || i.inFlight > busiest.inFlight
                        || i.inFlight == busiest.inFlight && i.lastUsedNanos > busiest.lastUsedNanos)) {
                    busiest = i;
                }
            }
        }
        int steady = traffic.steady.steadyCount(spec.id(), config.burstPercentile(), ColdStart.perInstance(spec), now);
        boolean merged = MergedPlacement.merged(spec, runtime, demand, traffic.heldOut(spec.id(), now), config);
        if (!MergedPlacement.burstToOwnPod(spec.deploy(), merged, own, set.starting(), busiest == null ? 0 : 1, steady)
                || !moving.add(set)) {
            return false;
        }
        Instance worker = busiest;
        LOG.info("moving burst worker " + worker + " to a pod of its own: the steady need on this node now fills "
                + steady + " instances (sidecar.burst-workers p" + java.math.BigDecimal.valueOf(config.burstPercentile())
                .stripTrailingZeros().toPlainString() + "), " + own + " in pods of their own");
        starts.startPlaced(set, false, () -> {
            try {
                int replacements = -1;
                synchronized (set) { // still serving here: not stopped by a scale-down, its pod's exit or a drain
                    if (worker.state() == InstanceState.READY && !worker.retired && set.instances().contains(worker)) {
                        replacements = set.retire(worker);
                    }
                }
                if (replacements > 0) {
                    starts.launch(set, replacements);
                }
                if (replacements >= 0 && set.retiredIdle(worker)) {
                    pods.stopLater(worker, stopGrace);
                }
            } finally {
                moving.remove(set);
            }
        }, () -> moving.remove(set));
        return true;
    }

    /**
     * Moves {@code old} of {@code set} to another merged pod (its own is being evacuated, {@link MergedPods#evacuate}):
     * the replacement serves first, then {@code old} is retired. A replacement that cannot start leaves {@code old}
     * serving until its pod stops.
     */
    void evacuate(InstanceSet set, Instance old) {
        if (old.state() != InstanceState.READY) {
            return;
        }
        starts.startPlaced(set, true, () -> retire(set, old), () -> LOG.warning("could not move " + old
                + " out of its merged pod; it serves there until the pod stops"));
    }

    /** The replacement serves: {@code old} takes no new request and stops once its requests in flight end. */
    private void retire(InstanceSet set, Instance old) {
        int replacements = set.retire(old);
        if (replacements > 0) {
            starts.launch(set, replacements);
        }
        if (set.retiredIdle(old)) {
            pods.stopLater(old, stopGrace);
        }
    }
}
