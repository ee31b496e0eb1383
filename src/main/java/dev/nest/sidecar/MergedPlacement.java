package dev.nest.sidecar;

import dev.nest.config.NestConfig;
import dev.nest.function.DeployMode;
import dev.nest.function.FunctionSpec;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.scheduler.Placement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The pure decisions of merged placement (ADR 0025): whether an instance goes to a merged pod, and which merged pod
 * takes it. No I/O and no state; {@link MergedPods} applies them.
 *
 * <p>Packing: a merged pod of a runtime holds at most the runtime's {@code max-functions} instances, and its
 * functions' memory together at most {@link #functionsMemoryMb} (the runtime's {@code max-functions} times its
 * default memory); the pod's memory limit is that plus {@code sidecar.merged-host-memory}. Among the pods with room
 * the fullest by memory wins (best fit, so that pods fill up and empty ones can stop); ties go to the earliest pod.
 * Pods of another namespace are never chosen unless {@code sidecar.merge-across-namespaces} is true.
 */
final class MergedPlacement {
    private MergedPlacement() {
    }

    /** How long a function over its allocation budget stays out of merged pods on a node. */
    static final Duration OVER_BUDGET_HOLD = Duration.ofMinutes(10);

    /** What a merged pod holds now, as packing sees it. */
    record PodRoom(String namespace, int functions, int memoryMb, boolean accepting) {
    }

    /** Memory (MiB) all the functions of one merged pod of {@code runtime} may use together. */
    static int functionsMemoryMb(RuntimeDefinition runtime) {
        return runtime.maxFunctions() * runtime.memoryMb();
    }

    /** The memory limit (MiB) of a merged pod of {@code runtime}: its functions' room plus the host's base. */
    static int podMemoryMb(RuntimeDefinition runtime, NestConfig.Merged config) {
        return functionsMemoryMb(runtime) + config.hostMemoryMb();
    }

    /**
     * Whether an instance of {@code spec} goes to a merged pod: never when the function says {@code dedicated}, its
     * runtime has no merged host, or its memory exceeds a merged pod's room; always when it says {@code merged};
     * for {@code auto} while its recent traffic is under {@code sidecar.merge-below} requests per minute (0 turns
     * auto merging off).
     *
     * @param perMinute the function's requests over the last minute on this node
     */
    static boolean merged(FunctionSpec spec, RuntimeDefinition runtime, double perMinute, NestConfig.Merged config) {
        return merged(spec, runtime, perMinute, false, config);
    }

    /**
     * {@link #merged(FunctionSpec, RuntimeDefinition, double, NestConfig.Merged)}, and never while the function is
     * {@code heldOut} (it went over {@code sidecar.merged-allocation-budget} lately, whatever its {@code deploy}).
     */
    static boolean merged(FunctionSpec spec, RuntimeDefinition runtime, double perMinute, boolean heldOut,
                          NestConfig.Merged config) {
        return merged(spec, runtime, Placement.MergeDemand.rate(perMinute), heldOut, config);
    }

    /**
     * {@link #merged(FunctionSpec, RuntimeDefinition, double, boolean, NestConfig.Merged)} with the function's
     * requests in flight as well ({@code sidecar.merge-below-in-flight}): the rule is the scheduler's
     * {@link Placement#mergeable(DeployMode, boolean, Placement.MergeDemand, int, double)}.
     */
    static boolean merged(FunctionSpec spec, RuntimeDefinition runtime, Placement.MergeDemand demand, boolean heldOut,
                          NestConfig.Merged config) {
        if (heldOut) {
            return false;
        }
        return Placement.mergeable(spec.deploy(), runtime.canMerge() && spec.memoryMb() <= functionsMemoryMb(runtime),
                demand, config.mergeBelow(), config.inFlightBelow());
    }

    /**
     * Where one more instance of {@code spec} starts on this node: the scheduler's
     * {@link Placement#startPlace} (merged by its traffic; a burst worker in a merged pod of its namespace for a
     * {@code deploy: auto} function already at its steady count here; else a pod of its own), with a function held out
     * of merged pods ({@code heldOut}) always in a pod of its own, burst workers only while
     * {@code sidecar.burst-workers} is on and only when a merged pod can take the instance ({@code mergedRoom}: a
     * merged pod of its namespace has room, or the node may start one); otherwise a pod of its own, as before.
     *
     * @param existing    the function's instances on this node, ready or starting, before this one
     * @param steadyCount the instances its steady need on this node fills ({@link SteadyNeed#steadyCount};
     *                    {@link Integer#MAX_VALUE} when not known)
     */
    static Placement.StartPlace start(FunctionSpec spec, RuntimeDefinition runtime, Placement.MergeDemand demand,
                                      boolean heldOut, NestConfig.Merged config, int existing, int steadyCount,
                                      boolean mergedRoom) {
        if (heldOut) {
            return Placement.StartPlace.DEDICATED;
        }
        boolean canMerge = runtime.canMerge() && spec.memoryMb() <= functionsMemoryMb(runtime);
        Placement.StartPlace place = Placement.startPlace(spec.deploy(), canMerge, demand, config.mergeBelow(),
                config.inFlightBelow(), existing, config.burstWorkers() ? steadyCount : Integer.MAX_VALUE);
        return place == Placement.StartPlace.BURST_WORKER && !mergedRoom ? Placement.StartPlace.DEDICATED : place;
    }

    /**
     * Whether one of a function's burst workers on this node moves to a pod of its own because the node's steady need
     * now covers it (ADR 0025, *Burst workers that the steady need covers*): a {@code deploy: auto} function that is
     * not merged by its traffic ({@code mergedByTraffic}: its instances are then all merged, none is a burst worker
     * of a dedicated function), with a ready burst worker, whose pods of its own (ready, not retired) and instances
     * starting together are fewer than its steady count. Starting instances count as covering the need whatever
     * they become, so a move never races the starts the scaler asked for. An unknown steady need
     * ({@link Integer#MAX_VALUE}) or burst workers off (the caller passes {@link Integer#MAX_VALUE}) moves nothing.
     * The caller also leaves a function at its {@code scaling.max} alone (the move runs old and new side by side).
     *
     * @param ownPods      the function's ready instances in pods of their own on this node
     * @param starting     its instances starting on this node
     * @param burstWorkers its ready burst workers on this node
     * @param steadyCount  the instances its steady need on this node fills ({@link SteadyNeed#steadyCount})
     */
    static boolean burstToOwnPod(DeployMode deploy, boolean mergedByTraffic, int ownPods, int starting,
                                 int burstWorkers, int steadyCount) {
        return deploy == DeployMode.AUTO && !mergedByTraffic && burstWorkers > 0 && steadyCount != Integer.MAX_VALUE
                && (long) ownPods + starting < steadyCount;
    }

    /**
     * Whether an instance in a merged pod that allocates {@code bytesPerSecond} (sustained, {@link AllocationRate};
     * negative: not measured) is over {@code sidecar.merged-allocation-budget} MiB/s (0: no budget).
     */
    static boolean overAllocationBudget(double bytesPerSecond, NestConfig.Merged config) {
        return config.allocationBudgetMb() > 0 && bytesPerSecond > config.allocationBudgetMb() * (double) (1 << 20);
    }

    /**
     * Whether a ready instance of a {@code deploy: auto} function should move: {@code false} (to a pod of its own)
     * when it is merged and its traffic reached {@code sidecar.merge-below} per minute, {@code true} (back into a
     * merged pod) when it is dedicated and its traffic fell under half of that (a band, so that traffic near the
     * threshold does not move it back and forth); empty when it stays. Functions that are not {@code auto}, runtimes
     * without a merged host, functions too large for a merged pod and {@code merge-below: 0} never move.
     */
    static Optional<Boolean> move(boolean merged, FunctionSpec spec, RuntimeDefinition runtime, double perMinute,
                                  NestConfig.Merged config) {
        return move(merged, spec, runtime, perMinute, false, config);
    }

    /**
     * {@link #move(boolean, FunctionSpec, RuntimeDefinition, double, NestConfig.Merged)} with the allocation budget:
     * a merged instance of a function {@code heldOut} (over its budget lately) moves to a pod of its own whatever its
     * {@code deploy} (other than {@code dedicated}, which is never merged), and a dedicated one stays while held out;
     * once the hold ends, a {@code deploy: merged} function's dedicated instance moves back into a merged pod and an
     * {@code auto} one follows its traffic.
     */
    static Optional<Boolean> move(boolean merged, FunctionSpec spec, RuntimeDefinition runtime, double perMinute,
                                  boolean heldOut, NestConfig.Merged config) {
        return move(merged, spec, runtime, Placement.MergeDemand.rate(perMinute), heldOut, config);
    }

    /**
     * {@link #move(boolean, FunctionSpec, RuntimeDefinition, double, boolean, NestConfig.Merged)} with the function's
     * requests in flight as well: apart from the allocation hold, the rule is the scheduler's
     * {@link Placement#remerge(boolean, DeployMode, boolean, Placement.MergeDemand, int, double)} (out at
     * {@code merge-below} requests a minute and, with {@code merge-below-in-flight} positive, that many in flight on
     * average; back under half of either).
     */
    static Optional<Boolean> move(boolean merged, FunctionSpec spec, RuntimeDefinition runtime,
                                  Placement.MergeDemand demand, boolean heldOut, NestConfig.Merged config) {
        if (spec.deploy() == DeployMode.DEDICATED || !runtime.canMerge()
                || spec.memoryMb() > functionsMemoryMb(runtime)) {
            return Optional.empty();
        }
        if (heldOut) {
            return merged ? Optional.of(false) : Optional.empty();
        }
        return Placement.remerge(merged, spec.deploy(), true, demand, config.mergeBelow(), config.inFlightBelow());
    }

    /**
     * The index in {@code pods} of the pod an instance of {@code memoryMb} in {@code namespace} joins, or empty when
     * none has room (a new merged pod is then started).
     */
    static Optional<Integer> choose(List<PodRoom> pods, String namespace, int memoryMb, RuntimeDefinition runtime,
                                    boolean acrossNamespaces) {
        int room = functionsMemoryMb(runtime);
        int best = -1;
        for (int i = 0; i < pods.size(); i++) {
            PodRoom p = pods.get(i);
            boolean fits = p.accepting() && p.functions() < runtime.maxFunctions() && p.memoryMb() + memoryMb <= room
                    && (acrossNamespaces || p.namespace().equals(namespace));
            if (fits && (best < 0 || p.memoryMb() > pods.get(best).memoryMb())) {
                best = i;
            }
        }
        return best < 0 ? Optional.empty() : Optional.of(best);
    }
}
