package dev.nest.scaler;

import dev.nest.function.MetricType;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What the scaler reads about one function: averages of its metrics over a recent window, its instance count,
 * and its idleness. Implemented by the metrics collector (live: per-second samples from every gateway and node
 * agent; in the simulator: per-second sums) or by {@link MetricSamples} for tests. Values are totals over all
 * of the function's instances.
 */
public interface FunctionMetrics {
    /**
     * The average of {@code type} over the samples taken at or after {@code from}; empty when there is no
     * sample in that window (a metric the collector does not have, or a function never called).
     */
    OptionalDouble average(MetricType type, Instant from);

    /**
     * The highest per-second value of {@code type} among the samples taken at or after {@code from} (for
     * concurrency: the most requests in flight at once); empty when there is no sample in that window.
     */
    OptionalDouble peak(MetricType type, Instant from);

    /**
     * The {@code percentile}-th percentile (nearest rank, 0 to 100) of the per-second values of {@code type} among
     * the samples taken at or after {@code from}; empty when there is no sample in that window. The default is the
     * {@link #peak}, which makes a percentile-based rule ({@link BurstRelease}) keep everything: a source that keeps
     * no such history releases nothing early.
     */
    default OptionalDouble quantile(MetricType type, Instant from, double percentile) {
        return peak(type, from);
    }

    /** Instances that exist now: ready (busy or idle) and starting. */
    int instances();

    /** Requests in flight or waiting for an instance now. */
    int inFlight();

    /**
     * Since when nothing has been in flight: the end of the last request, or when the function was deployed if
     * it was never called; empty while a request is in flight or waiting.
     */
    Optional<Instant> idleSince();

    /** The function's idle times so far (for the histogram keep-alive policy). */
    IdleHistogram idleTimes();

    /**
     * The load the function's recent arrivals offer (their rate times the recent execution time), which the scaler
     * reads on a step of the load; empty when the source does not count arrivals or has too few to tell (the
     * default: the scaler then reads the requests in flight alone).
     */
    default java.util.Optional<OfferedLoad> offered() {
        return java.util.Optional.empty();
    }
}
