package dev.nest.sidecar;

import dev.nest.function.FunctionId;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each function's requests on this node over the last minute, in six buckets of ten seconds: what {@code deploy:
 * auto} compares with {@code sidecar.merge-below}. {@link #record} is called once per finished invocation;
 * {@link #perMinute} sums the buckets younger than a minute at the time given.
 *
 * <p>Threads: any; each function's buckets are guarded by their own lock. Times are the agent's monotonic nanos.
 */
final class RecentTraffic {
    private static final long BUCKET_NANOS = 10_000_000_000L;
    private static final int BUCKETS = 6;

    private final Map<FunctionId, Buckets> byFunction = new ConcurrentHashMap<>();

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

    /** Forgets {@code id} (deleted). */
    void forget(FunctionId id) {
        byFunction.remove(id);
        heldOut.remove(id);
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
