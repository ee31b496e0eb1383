package dev.nest.load;

import java.util.List;

/**
 * One function version's requests on one node since that node's process started (cumulative, so a lost report
 * loses nothing): the count, the server errors among them and the latency histogram whose bucket bounds are
 * {@link #LATENCY_BOUNDS_MS}. Sent to the leader in each {@link LoadReport} for its canary releases; two histograms
 * with the same bounds add bucket by bucket (no averaged percentiles).
 *
 * @param function {@code namespace/name}
 * @param version  the version that served them
 * @param requests invocations recorded
 * @param errors   those answered with a 5xx status (the function failed, timed out or could not start)
 * @param latency  counts per bucket: {@code latency[i]} took at most {@code LATENCY_BOUNDS_MS[i]} ms (and more than the
 *                 bound before); the last bucket has no upper bound
 */
public record VersionTraffic(String function, int version, long requests, long errors, List<Long> latency) {
    /** Upper bounds of the latency buckets in ms; a last bucket holds everything slower. */
    public static final List<Long> LATENCY_BOUNDS_MS = List.of(1L, 2L, 3L, 5L, 7L, 10L, 15L, 20L, 30L, 50L, 70L, 100L,
            150L, 200L, 250L, 300L, 400L, 500L, 600L, 800L, 1000L, 1500L, 2000L, 3000L, 5000L, 7500L, 10_000L, 15_000L,
            30_000L, 60_000L, 120_000L);
    /** Buckets per histogram: one per bound and one above the last. */
    public static final int BUCKETS = LATENCY_BOUNDS_MS.size() + 1;

    /** @throws IllegalArgumentException when a count is negative or the histogram has another number of buckets */
    public VersionTraffic {
        latency = latency == null ? List.of() : List.copyOf(latency);
        if (function == null || function.isBlank() || version < 1 || requests < 0 || errors < 0 || errors > requests
                || latency.size() != BUCKETS || latency.stream().anyMatch(c -> c < 0)) {
            throw new IllegalArgumentException("version traffic of " + function + " v" + version + " is not valid: "
                    + requests + " requests, " + errors + " errors, " + latency.size() + " latency buckets (want "
                    + BUCKETS + ", none negative)");
        }
    }

    /** The bucket a latency of {@code ms} falls in. */
    public static int bucket(double ms) {
        for (int i = 0; i < LATENCY_BOUNDS_MS.size(); i++) {
            if (ms <= LATENCY_BOUNDS_MS.get(i)) {
                return i;
            }
        }
        return LATENCY_BOUNDS_MS.size();
    }
}
