package dev.nest.function;

import java.util.Arrays;
import java.util.Optional;

/**
 * A metric a function can scale on. Values are totals over all of a function's instances; targets are per
 * instance.
 */
public enum MetricType {
    /** Requests in flight, including those waiting for an instance. */
    CONCURRENCY("concurrency", "in-flight requests per instance", 0.01, 1000),
    /** Requests arriving per second. */
    RPS("rps", "requests per second per instance", 0.01, 100_000),
    /** CPU in use, in cores. */
    CPU("cpu", "cores per instance", 0.01, 64),
    /** Memory in use, in MiB. */
    MEMORY("memory", "MiB per instance", 1, 32768);

    private final String key;
    private final String unit;
    private final double minTarget;
    private final double maxTarget;

    MetricType(String key, String unit, double minTarget, double maxTarget) {
        this.key = key;
        this.unit = unit;
        this.minTarget = minTarget;
        this.maxTarget = maxTarget;
    }

    /** The name used in {@code scaling.metrics[].type}. */
    public String key() {
        return key;
    }

    /** What a target of this type counts, for messages. */
    public String unit() {
        return unit;
    }

    public double minTarget() {
        return minTarget;
    }

    public double maxTarget() {
        return maxTarget;
    }

    public static Optional<MetricType> byKey(String key) {
        return Arrays.stream(values()).filter(t -> t.key.equals(key)).findFirst();
    }
}
