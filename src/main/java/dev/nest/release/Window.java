package dev.nest.release;

import dev.nest.load.VersionTraffic;
import java.util.Arrays;
import java.util.List;

/**
 * One version's requests over a window: the count, the server errors among them and the latency histogram (buckets of
 * {@link VersionTraffic#LATENCY_BOUNDS_MS}). Windows of several nodes add up ({@link #plus}); the p99 is read from the
 * summed histogram, never averaged.
 *
 * @param requests requests in the window
 * @param errors   5xx answers among them
 * @param latency  counts per latency bucket ({@link VersionTraffic#BUCKETS} of them)
 */
public record Window(long requests, long errors, long[] latency) {
    public static final Window EMPTY = new Window(0, 0, new long[VersionTraffic.BUCKETS]);

    public Window {
        latency = Arrays.copyOf(latency, VersionTraffic.BUCKETS);
    }

    static Window of(VersionTraffic t) {
        return new Window(t.requests(), t.errors(), t.latency().stream().mapToLong(Long::longValue).toArray());
    }

    /** A window of {@code n} requests, {@code errors} of them failed, each taking {@code ms} (for tests and tables). */
    public static Window uniform(long n, long errors, double ms) {
        long[] l = new long[VersionTraffic.BUCKETS];
        l[VersionTraffic.bucket(ms)] = n;
        return new Window(n, errors, l);
    }

    public Window plus(Window o) {
        long[] l = new long[VersionTraffic.BUCKETS];
        for (int i = 0; i < l.length; i++) {
            l[i] = latency[i] + o.latency[i];
        }
        return new Window(requests + o.requests, errors + o.errors, l);
    }

    /** This cumulative reading minus an earlier one of the same counters (never below zero). */
    public Window minus(Window earlier) {
        long[] l = new long[VersionTraffic.BUCKETS];
        for (int i = 0; i < l.length; i++) {
            l[i] = Math.max(0, latency[i] - earlier.latency[i]);
        }
        return new Window(Math.max(0, requests - earlier.requests), Math.max(0, errors - earlier.errors), l);
    }

    /** Errors per request, 0 without requests. */
    public double errorRate() {
        return requests == 0 ? 0 : (double) errors / requests;
    }

    /**
     * The 99th percentile latency in ms: the upper bound of the bucket that holds it (an upper estimate; for the last,
     * unbounded bucket twice the last bound); 0 without requests.
     */
    public double p99Ms() {
        long total = Arrays.stream(latency).sum();
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(total * 0.99);
        long seen = 0;
        List<Long> bounds = VersionTraffic.LATENCY_BOUNDS_MS;
        for (int i = 0; i < latency.length; i++) {
            seen += latency[i];
            if (seen >= rank) {
                return i < bounds.size() ? bounds.get(i) : 2.0 * bounds.getLast();
            }
        }
        return 2.0 * bounds.getLast();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Window w && w.requests == requests && w.errors == errors && Arrays.equals(w.latency, latency);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(requests) * 31 + Arrays.hashCode(latency);
    }

    @Override
    public String toString() {
        return requests + " requests, " + errors + " errors, p99 " + p99Ms() + " ms";
    }
}
