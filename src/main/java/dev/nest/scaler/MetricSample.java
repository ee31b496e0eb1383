package dev.nest.scaler;

import dev.nest.function.MetricType;
import java.time.Instant;

/**
 * One sample of a function's metrics (totals over its instances), as the collector takes them every second.
 *
 * @param at          when the sample was taken
 * @param concurrency requests in flight or waiting
 * @param rps         requests per second arrived since the previous sample
 * @param cpu         cores in use; NaN when not measured in this sample
 * @param memoryMb    memory in use, MiB; NaN when not measured in this sample
 */
public record MetricSample(Instant at, double concurrency, double rps, double cpu, double memoryMb) {
    public double value(MetricType type) {
        return switch (type) {
            case CONCURRENCY -> concurrency;
            case RPS -> rps;
            case CPU -> cpu;
            case MEMORY -> memoryMb;
        };
    }
}
