package dev.nest.sim;

import dev.nest.function.DeployMode;
import dev.nest.scheduler.Placement;
import java.util.Optional;

/**
 * The inputs of merged placement in the simulation (ADR 0025, addendum *The simulated day*). The memory figures are
 * measured, not chosen: {@code distribution/bench-merged.sh} (docs/BENCHMARKS.md, *Merged pods (Node.js, host
 * level)*, 1,000 Node.js functions, 16 per pod): a worker thread holds 6.6 MiB PSS, a parked function 1.2 to 1.3 MiB
 * with its share of the host and the pod's warm worker, a dedicated Node.js pod about 16 MiB (cgroup, *Pod start*);
 * a first request into a running merged pod, or after parking, waits for a worker: 4.9 to 5.2 ms p50 in the same
 * run.
 *
 * <p>How a function's memory is split: the trace gives each function's average allocated memory {@code M}, which
 * an instance in a pod of its own holds (as in every other policy of the simulator). Of that, {@code podMb} is the
 * pod's own overhead and the rest, {@code max(0, M - podMb)}, the function's; in a merged pod the function holds its
 * own memory plus {@code workerMb} while it has a worker, and only {@code parkedMb} once parked (its worker and heap
 * are gone; its spec stays loaded). The <em>footprint</em> model counts only the platform's part (an idle
 * hello-world function): {@code podMb}, {@code workerMb}, {@code parkedMb}.
 *
 * @param mergeBelow    {@code sidecar.merge-below}: requests per minute under which an {@code auto} function merges
 * @param idleUnloadMs  the merged host's {@code --idle-unload-ms}: a worker idle this long is parked
 * @param podMb         a dedicated pod's idle memory, MiB
 * @param workerMb      a merged function's memory while it holds a worker, MiB (beyond its own)
 * @param parkedMb      a parked function's memory with its share of the merged pod, MiB
 * @param workerStartMs the wait of a request for a worker (a load into a running merged pod, or an unpark)
 * @param maxFunctions  functions per merged pod ({@code max-functions}, Node.js: 16)
 * @param roomMb        a merged pod's instance memory ({@code max-functions} x the runtime's memory, Node.js: 16 x 128)
 * @param windowMinutes the minutes the rate is averaged over (the product: 1)
 * @param busyBelow     a variant tried: out at this share of a core busy instead of a rate (0: the rate)
 * @param inFlightBelow {@code sidecar.merge-below-in-flight}: a function out of merged pods only once it also keeps
 *                      this many requests in flight on average (0: the rate alone)
 * @param burstWorkers  {@code sidecar.burst-workers} (0: off): a dedicated function's instances above its steady
 *                      need, this percentile of its per-second concurrency over 10 minutes, run as workers in its
 *                      merged pod (started in {@code workerStartMs}, parked after {@code idleUnloadMs} idle); where
 *                      a start goes is the product's {@link Placement#burstWorker} ({@link #burstWorker})
 */
record MergedModel(int mergeBelow, long idleUnloadMs, double podMb, double workerMb, double parkedMb, long workerStartMs,
                   int maxFunctions, int roomMb, int windowMinutes, double busyBelow, double inFlightBelow,
                   double burstWorkers) {
    /** Node.js with the product's defaults and the figures measured by distribution/bench-merged.sh. */
    static final MergedModel NODEJS = new MergedModel(
            dev.nest.config.NestConfig.Merged.DEFAULT.mergeBelow(), 60_000, 16.0, 6.6, 1.2, 5, 16, 16 * 128, 1, 0,
            dev.nest.config.NestConfig.Merged.DEFAULT.inFlightBelow(),
            dev.nest.config.NestConfig.Merged.DEFAULT.burstPercentile());

    MergedModel {
        if (mergeBelow < 0 || idleUnloadMs < 0 || podMb <= 0 || workerMb <= 0 || parkedMb < 0 || workerStartMs < 0
                || maxFunctions < 1 || roomMb < 1 || windowMinutes < 1 || busyBelow < 0 || inFlightBelow < 0
                || !(burstWorkers >= 0 && burstWorkers <= 100)) {
            throw new IllegalArgumentException("a merged model needs non-negative figures, got " + this);
        }
    }

    MergedModel withMergeBelow(int below) {
        return new MergedModel(below, idleUnloadMs, podMb, workerMb, parkedMb, workerStartMs, maxFunctions, roomMb,
                windowMinutes, busyBelow, inFlightBelow, burstWorkers);
    }

    MergedModel withIdleUnloadMs(long ms) {
        return new MergedModel(mergeBelow, ms, podMb, workerMb, parkedMb, workerStartMs, maxFunctions, roomMb,
                windowMinutes, busyBelow, inFlightBelow, burstWorkers);
    }

    MergedModel withWindowMinutes(int minutes) {
        return new MergedModel(mergeBelow, idleUnloadMs, podMb, workerMb, parkedMb, workerStartMs, maxFunctions, roomMb,
                minutes, busyBelow, inFlightBelow, burstWorkers);
    }

    MergedModel withBusyBelow(double share) {
        return new MergedModel(mergeBelow, idleUnloadMs, podMb, workerMb, parkedMb, workerStartMs, maxFunctions, roomMb,
                windowMinutes, share, inFlightBelow, burstWorkers);
    }

    /** {@code sidecar.merge-below-in-flight}: requests in flight on average a function keeps before it may move out. */
    MergedModel withInFlightBelow(double inFlight) {
        return new MergedModel(mergeBelow, idleUnloadMs, podMb, workerMb, parkedMb, workerStartMs, maxFunctions, roomMb,
                windowMinutes, busyBelow, inFlight, burstWorkers);
    }

    /** The design tried: instances above a dedicated function's steady need run as workers in its merged pod. */
    MergedModel withBurstWorkers(double percentile) {
        return new MergedModel(mergeBelow, idleUnloadMs, podMb, workerMb, parkedMb, workerStartMs, maxFunctions, roomMb,
                windowMinutes, busyBelow, inFlightBelow, percentile);
    }

    /**
     * The requests per minute at which a function of {@code durationMs} moves out: {@code mergeBelow}, or with
     * {@code busyBelow} the rate at which it keeps that share of a core busy.
     */
    int threshold(long durationMs) {
        if (busyBelow <= 0) {
            return mergeBelow;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.ceil(busyBelow * 60_000.0 / Math.max(1, durationMs))));
    }

    /** Whether a function of {@code memoryMb} may be merged at all (it fits a merged pod's room). */
    boolean fits(int memoryMb) {
        return memoryMb <= roomMb;
    }

    /** Whether a function of {@code memoryMb} with no instance yet starts merged at {@code perMinute}. */
    boolean startsMerged(int memoryMb, long durationMs, double perMinute) {
        return Placement.mergeable(DeployMode.AUTO, fits(memoryMb), demand(durationMs, perMinute),
                threshold(durationMs), inFlightBelow);
    }

    /** Whether a function's instances change placement at {@code perMinute} (the node agent's band). */
    Optional<Boolean> move(boolean merged, int memoryMb, long durationMs, double perMinute) {
        return Placement.remerge(merged, DeployMode.AUTO, fits(memoryMb), demand(durationMs, perMinute),
                threshold(durationMs), inFlightBelow);
    }

    /** A minute's demand as the node agent measures it: its requests, and their summed duration over the minute. */
    static Placement.MergeDemand demand(long durationMs, double perMinute) {
        return new Placement.MergeDemand(perMinute, perMinute * durationMs / 60_000.0);
    }

    /**
     * Whether one more instance of a dedicated function of {@code memoryMb} that has {@code existing} instances starts
     * as a burst worker, its steady need filling {@code steadyCount}: the node agent's rule
     * ({@link Placement#burstWorker}; the merged pods' room is not modelled, see the class doc).
     */
    boolean burstWorker(int memoryMb, int existing, int steadyCount) {
        return burstWorkers > 0 && Placement.burstWorker(DeployMode.AUTO, fits(memoryMb), mergeBelow, existing,
                steadyCount);
    }

    /** A merged instance's memory while it holds a worker. */
    double workerMb(int memoryMb) {
        return Math.max(0, memoryMb - podMb) + workerMb;
    }
}
