package dev.nest.sim;

/** The figures of one policy, summed over functions (one instance per simulation task, then merged). */
final class Totals {
    /** Waits are counted per millisecond up to this bound; longer waits land in the last bin. */
    static final int WAIT_BINS = 600_001;

    long invocations;
    long coldStarts;
    /** Cold starts of a function that had no instance at all when the request arrived. */
    long coldFromZero;
    long queued;
    long scaleEvents;
    long starts;
    double instanceMs;
    double busyMs;
    double memMbMs;
    double busyMemMbMs;
    /** Memory provisioned while nothing of the function was in flight (the keep-alive tail). */
    double tailMemMbMs;
    long maxWaitMs;
    /** Requests that waited for a worker in a merged pod (a load into a running merged pod, or an unpark). */
    long workerStarts;
    /** Of those, requests that found their function parked. */
    long unparks;
    /** Instances that changed placement (merged to dedicated or back). */
    long moves;
    /** The platform's part of memory only (the footprint model of {@link MergedModel}), MiB-ms, and its busy part. */
    double footMbMs;
    double busyFootMbMs;
    /**
     * Idle memory (trace model, MiB-ms) by where it is held: instances in pods of their own while nothing of the
     * function is in flight (the keep-alive tail) and beside requests in flight (instances beyond the demand), merged
     * instances idle with a worker, and parked ones.
     */
    double idleDedicatedTailMbMs;
    double idleDedicatedExtraMbMs;
    double idleWorkerMbMs;
    double idleParkedMbMs;
    final long[] waits = new long[WAIT_BINS];

    void waited(long ms) {
        waits[(int) Math.min(ms, WAIT_BINS - 1)]++;
        if (ms > maxWaitMs) {
            maxWaitMs = ms;
        }
    }

    void add(Totals o) {
        invocations += o.invocations;
        coldStarts += o.coldStarts;
        coldFromZero += o.coldFromZero;
        tailMemMbMs += o.tailMemMbMs;
        queued += o.queued;
        scaleEvents += o.scaleEvents;
        starts += o.starts;
        instanceMs += o.instanceMs;
        busyMs += o.busyMs;
        memMbMs += o.memMbMs;
        busyMemMbMs += o.busyMemMbMs;
        maxWaitMs = Math.max(maxWaitMs, o.maxWaitMs);
        workerStarts += o.workerStarts;
        unparks += o.unparks;
        moves += o.moves;
        footMbMs += o.footMbMs;
        busyFootMbMs += o.busyFootMbMs;
        idleDedicatedTailMbMs += o.idleDedicatedTailMbMs;
        idleDedicatedExtraMbMs += o.idleDedicatedExtraMbMs;
        idleWorkerMbMs += o.idleWorkerMbMs;
        idleParkedMbMs += o.idleParkedMbMs;
        for (int i = 0; i < WAIT_BINS; i++) {
            waits[i] += o.waits[i];
        }
    }

    /** The wait (ms) at percentile {@code p} of all requests. */
    long waitPercentile(double p) {
        long total = 0;
        for (long w : waits) {
            total += w;
        }
        long need = (long) Math.ceil(p / 100.0 * total);
        long c = 0;
        for (int i = 0; i < waits.length; i++) {
            c += waits[i];
            if (c >= need && c > 0) {
                return i;
            }
        }
        return 0;
    }

    double coldStartRate() {
        return invocations == 0 ? 0 : (double) coldStarts / invocations;
    }

    double utilization() {
        return instanceMs == 0 ? 0 : busyMs / instanceMs;
    }

    double gbSeconds() {
        return memMbMs / 1024.0 / 1000.0;
    }

    double idleGbSeconds() {
        return (memMbMs - busyMemMbMs) / 1024.0 / 1000.0;
    }

    /** Busy memory over provisioned memory. */
    double memoryUtilization() {
        return memMbMs == 0 ? 0 : busyMemMbMs / memMbMs;
    }

    double idleFootprintGbSeconds() {
        return (footMbMs - busyFootMbMs) / 1024.0 / 1000.0;
    }

    double tailGbSeconds() {
        return tailMemMbMs / 1024.0 / 1000.0;
    }

    double instanceHours() {
        return instanceMs / 3_600_000.0;
    }
}
