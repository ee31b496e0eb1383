package dev.nest.report;

import dev.nest.store.InvocationRecord;

/**
 * The mutable sum of one bucket while it is open: invocation records and gauge samples are added, other rollups of
 * the same bucket merged. Not thread-safe (the report writer's thread owns the open ones; queries build their own).
 */
final class Rollup {
    long requests;
    long errors;
    long throttles;
    long coldStarts;
    int maxConcurrency;
    int instances;
    final Latency latency;
    final Latency init;

    Rollup() {
        this(Latency.empty(), Latency.empty());
    }

    private Rollup(Latency latency, Latency init) {
        this.latency = latency;
        this.init = init;
    }

    /** Counts one invocation record. */
    void add(InvocationRecord r) {
        requests++;
        switch (Outcome.of(r)) {
            case THROTTLE -> throttles++;
            case ERROR -> errors++;
            case OK -> { }
        }
        latency.recordMillis(r.durationMs());
        if (r.cold()) {
            coldStarts++;
            Double i = r.phases().get("init");
            if (i != null) {
                init.recordMillis(i);
            }
        }
    }

    /** Keeps the larger of the gauges seen so far and this sample's. */
    void sample(int concurrency, int instanceCount) {
        maxConcurrency = Math.max(maxConcurrency, concurrency);
        instances = Math.max(instances, instanceCount);
    }

    /** Adds another reading of the same bucket (a restarted node's earlier row): counts add, gauges take the max. */
    void merge(Bucket b) {
        requests += b.requests();
        errors += b.errors();
        throttles += b.throttles();
        coldStarts += b.coldStarts();
        maxConcurrency = Math.max(maxConcurrency, b.maxConcurrency());
        instances = Math.max(instances, b.instances());
        latency.add(Latency.decode(b.latency()));
        init.add(Latency.decode(b.init()));
    }

    Bucket toBucket(String function, int version, Resolution res, long at) {
        return new Bucket(function, version, res.seconds(), at, requests, errors, throttles, coldStarts, maxConcurrency,
                instances, latency.encode(), init.encode());
    }
}
