package dev.nest.release;

import dev.nest.load.VersionTraffic;
import dev.nest.store.InvocationRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * This node's requests per function version since the process started: counts, server errors (5xx) and a latency
 * histogram ({@link VersionTraffic#LATENCY_BOUNDS_MS}) of the warm requests, fed by the gateway's invocation records and sent to the
 * leader with each load report. Cumulative, so that the leader's windows are differences of two readings and a lost
 * report costs nothing.
 *
 * <p>Threads: {@link #accept} runs on the gateway's event-loop threads and never blocks (one map lookup and three
 * atomic increments); {@link #snapshot} on the reporting thread. Limits: a version stays counted until the process
 * ends (a few hundred bytes each); at most {@link #MAX_VERSIONS} versions are tracked, later ones are not counted.
 */
public final class TrafficCounters implements Consumer<InvocationRecord> {
    public static final int MAX_VERSIONS = 20_000;

    private record Key(String function, int version) {
    }

    /** [0] requests, [1] errors, then one count per latency bucket. */
    private final Map<Key, AtomicLongArray> counters = new ConcurrentHashMap<>();

    @Override
    public void accept(InvocationRecord r) {
        if (r.version() < 1) {
            return;
        }
        Key k = new Key(r.function(), r.version());
        AtomicLongArray c = counters.get(k);
        if (c == null) {
            if (counters.size() >= MAX_VERSIONS) {
                return;
            }
            c = counters.computeIfAbsent(k, x -> new AtomicLongArray(2 + VersionTraffic.BUCKETS));
        }
        c.incrementAndGet(0);
        if (r.status() >= 500) {
            c.incrementAndGet(1);
        }
        if (!r.cold()) {
            // a request that waited for its instance's start is the start's latency, not the version's: a canary's
            // first requests are its cold starts, which the warm stable version does not pay, and a p99 judged on
            // them would roll back a good version whenever a start is slow
            c.incrementAndGet(2 + VersionTraffic.bucket(r.durationMs()));
        }
    }

    /** Every counted version's figures now. */
    public List<VersionTraffic> snapshot() {
        List<VersionTraffic> out = new ArrayList<>(counters.size());
        counters.forEach((k, c) -> {
            Long[] buckets = new Long[VersionTraffic.BUCKETS];
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = c.get(2 + i);
            }
            long requests = c.get(0);
            long errors = Math.min(c.get(1), requests); // read apart: an error may be counted before its request
            out.add(new VersionTraffic(k.function(), k.version(), requests, errors, Arrays.asList(buckets)));
        });
        return out;
    }
}
