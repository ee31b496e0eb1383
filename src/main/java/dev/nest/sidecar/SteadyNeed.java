package dev.nest.sidecar;

import dev.nest.function.FunctionId;
import dev.nest.scaler.BurstRelease;
import dev.nest.scaler.MetricSamples;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each function's steady need on this node: a percentile of its requests in flight (and waiting), read once a second
 * over the last {@link #WINDOW_SECONDS} seconds, as the leader's scaler reads the cluster's for its burst release
 * ({@link BurstRelease}); the node agent starts an {@code auto} function's instances beyond it as burst workers in a
 * merged pod ({@link MergedPlacement#start}). Why on the node and not from the leader: the placement is per node, and
 * a node's share of a function's traffic is what its own instances serve; the node's readings are that share, with
 * no new field on the placements and nothing to split (a single node reads exactly what the scaler reads).
 *
 * <p>{@link #sample} keeps the highest reading of each second (the reconcile pass reads each function once a second;
 * extra passes within a second keep its peak). Seconds without a reading, between the first one and now, count as 0
 * requests; before the first reading nothing is known ({@link #quantile} empty: every instance is steady). Memory: one
 * ring of 600 readings per function that can have burst workers.
 *
 * <p>Threads: any; each function's ring is guarded by its own lock. Times are the agent's monotonic nanos.
 */
final class SteadyNeed {
    /** The span of the steady need (the scaler's {@link BurstRelease#DEFAULT_WINDOW}). */
    static final int WINDOW_SECONDS = (int) BurstRelease.DEFAULT_WINDOW.toSeconds();

    private final Map<FunctionId, Ring> byFunction = new ConcurrentHashMap<>();

    private static final class Ring {
        private final int[] levels = new int[WINDOW_SECONDS];
        private final long[] seconds = new long[WINDOW_SECONDS];
        private final long first;

        Ring(long first) {
            this.first = first;
            java.util.Arrays.fill(seconds, Long.MIN_VALUE);
        }

        synchronized void add(long second, int level) {
            int slot = (int) Math.floorMod(second, (long) WINDOW_SECONDS);
            if (seconds[slot] != second) {
                seconds[slot] = second;
                levels[slot] = 0;
            }
            levels[slot] = Math.max(levels[slot], Math.max(0, level));
        }

        synchronized OptionalDouble quantile(long now, double percentile) {
            if (now < first) {
                return OptionalDouble.empty();
            }
            int n = (int) Math.min(WINDOW_SECONDS, now - first + 1);
            int[] values = new int[n];
            for (int k = 0; k < n; k++) {
                long second = now - k;
                int slot = (int) Math.floorMod(second, (long) WINDOW_SECONDS);
                values[k] = seconds[slot] == second ? levels[slot] : 0;
            }
            java.util.Arrays.sort(values);
            return OptionalDouble.of(values[MetricSamples.nearestRank(percentile, n) - 1]);
        }
    }

    /** A reading of {@code id}'s requests in flight and waiting on this node at {@code nowNanos}. */
    void sample(FunctionId id, int requests, long nowNanos) {
        long second = Math.floorDiv(nowNanos, 1_000_000_000L);
        byFunction.computeIfAbsent(id, k -> new Ring(second)).add(second, requests);
    }

    /**
     * The {@code percentile}-th percentile (nearest rank) of {@code id}'s per-second readings over the last
     * {@link #WINDOW_SECONDS} seconds up to {@code nowNanos}; empty before its first reading.
     */
    OptionalDouble quantile(FunctionId id, double percentile, long nowNanos) {
        Ring r = byFunction.get(id);
        return r == null ? OptionalDouble.empty() : r.quantile(Math.floorDiv(nowNanos, 1_000_000_000L), percentile);
    }

    /**
     * The instances {@code id}'s steady need fills at {@code perInstance} requests each
     * ({@link BurstRelease#steadyCount}); {@link Integer#MAX_VALUE} when not known.
     */
    int steadyCount(FunctionId id, double percentile, double perInstance, long nowNanos) {
        OptionalDouble q = quantile(id, percentile, nowNanos);
        return q.isEmpty() ? Integer.MAX_VALUE : BurstRelease.steadyCount(q.getAsDouble(), perInstance);
    }

    /** Forgets {@code id} (deleted). */
    void forget(FunctionId id) {
        byFunction.remove(id);
    }
}
