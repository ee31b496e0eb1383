package dev.nest.sidecar;

import dev.nest.function.FunctionId;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each function's requests on this node over the last minute, in six buckets of ten seconds: what {@code deploy:
 * auto} compares with {@code sidecar.merge-below}. {@link #record} is called once per finished invocation;
 * {@link #perMinute} sums the buckets younger than a minute at the time given. Beside it, {@link #inFlight}: the
 * mean of the readings of the function's requests in flight taken over the last minute ({@code
 * sidecar.merge-below-in-flight}).
 *
 * <p>Threads: any; each function's buckets are guarded by their own lock. Times are the agent's monotonic nanos.
 */
final class RecentTraffic {
    private static final long BUCKET_NANOS = 10_000_000_000L;
    private static final int BUCKETS = 6;

    private final Map<FunctionId, Buckets> byFunction = new ConcurrentHashMap<>();
    /** Each function's steady need on this node (the percentile of its per-second requests in flight). */
    final SteadyNeed steady = new SteadyNeed();

    private static final class Buckets {
        private final long[] counts = new long[BUCKETS];
        private final long[] epochs = new long[BUCKETS];

        synchronized void add(long epoch) {
            int slot = (int) Math.floorMod(epoch, (long) BUCKETS);
            if (epochs[slot] != epoch) {
                epochs[slot] = epoch;
                counts[slot] = 0;
            }
            counts[slot]++;
        }

        synchronized long sum(long epoch) {
            long total = 0;
            for (int i = 0; i < BUCKETS; i++) {
                if (epoch - epochs[i] < BUCKETS && epochs[i] <= epoch) {
                    total += counts[i];
                }
            }
            return total;
        }
    }

    /** One finished invocation of {@code id} at {@code nowNanos}. */
    void record(FunctionId id, long nowNanos) {
        byFunction.computeIfAbsent(id, k -> new Buckets()).add(Math.floorDiv(nowNanos, BUCKET_NANOS));
    }

    /** Requests of {@code id} in the minute before {@code nowNanos} (to bucket precision). */
    double perMinute(FunctionId id, long nowNanos) {
        Buckets b = byFunction.get(id);
        return b == null ? 0 : b.sum(Math.floorDiv(nowNanos, BUCKET_NANOS));
    }

    /** Each function's readings of its requests in flight on this node: sum and count per bucket. */
    private final Map<FunctionId, Samples> inFlight = new ConcurrentHashMap<>();

    private static final class Samples {
        private final double[] sums = new double[BUCKETS];
        private final long[] counts = new long[BUCKETS];
        private final long[] epochs = new long[BUCKETS];

        synchronized void add(long epoch, double value) {
            int slot = (int) Math.floorMod(epoch, (long) BUCKETS);
            if (epochs[slot] != epoch || counts[slot] == 0) {
                epochs[slot] = epoch;
                sums[slot] = 0;
                counts[slot] = 0;
            }
            sums[slot] += value;
            counts[slot]++;
        }

        synchronized double mean(long epoch) {
            double sum = 0;
            long n = 0;
            for (int i = 0; i < BUCKETS; i++) {
                if (counts[i] > 0 && epoch - epochs[i] < BUCKETS && epochs[i] <= epoch) {
                    sum += sums[i];
                    n += counts[i];
                }
            }
            return n == 0 ? -1 : sum / n;
        }
    }

    /**
     * One reading of the requests of {@code id} in flight on this node at {@code nowNanos} (the agent's periodic
     * check of each function), for {@link #inFlight}.
     */
    void sampleInFlight(FunctionId id, int requests, long nowNanos) {
        inFlight.computeIfAbsent(id, k -> new Samples()).add(Math.floorDiv(nowNanos, BUCKET_NANOS), requests);
    }

    /**
     * The requests of {@code id} in flight on average over the minute before {@code nowNanos} (the mean of its
     * readings then), or -1 when there is no reading in that minute (not known: the rate rule alone applies).
     */
    double inFlight(FunctionId id, long nowNanos) {
        Samples s = inFlight.get(id);
        return s == null ? -1 : s.mean(Math.floorDiv(nowNanos, BUCKET_NANOS));
    }

    /** Forgets {@code id} (deleted). */
    void forget(FunctionId id) {
        byFunction.remove(id);
        inFlight.remove(id);
        heldOut.remove(id);
        steady.forget(id);
    }

    /** Functions kept out of merged pods on this node until the time given (agent nanos): over their allocation. */
    private final Map<FunctionId, Long> heldOut = new ConcurrentHashMap<>();

    /** Keeps {@code id} out of merged pods until {@code untilNanos} ({@code sidecar.merged-allocation-budget}). */
    void holdOut(FunctionId id, long untilNanos) {
        heldOut.merge(id, untilNanos, Math::max);
    }

    /** Whether {@code id} is kept out of merged pods at {@code nowNanos}. */
    boolean heldOut(FunctionId id, long nowNanos) {
        Long until = heldOut.get(id);
        return until != null && nowNanos - until < 0;
    }
}
