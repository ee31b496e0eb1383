package dev.nest.scaler;

import dev.nest.function.MetricType;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * {@link FunctionMetrics} over a list of samples, oldest first (tests, and callers that keep raw samples). The
 * average of a window is the plain mean of the samples in it; a value that is NaN was not measured in its sample
 * (CPU or memory of a function whose driver did not report them) and is left out of means and peaks.
 */
public record MetricSamples(List<MetricSample> samples, int instances, int inFlight, Optional<Instant> idleSince,
                            IdleHistogram idleTimes) implements FunctionMetrics {
    public MetricSamples {
        samples = List.copyOf(samples);
    }

    @Override
    public OptionalDouble average(MetricType type, Instant from) {
        double sum = 0;
        int n = 0;
        for (int i = samples.size() - 1; i >= 0; i--) {
            MetricSample s = samples.get(i);
            if (s.at().isBefore(from)) {
                break;
            }
            double v = s.value(type);
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? OptionalDouble.empty() : OptionalDouble.of(sum / n);
    }

    @Override
    public OptionalDouble peak(MetricType type, Instant from) {
        OptionalDouble max = OptionalDouble.empty();
        for (int i = samples.size() - 1; i >= 0 && !samples.get(i).at().isBefore(from); i--) {
            double v = samples.get(i).value(type);
            if (!Double.isNaN(v) && (max.isEmpty() || v > max.getAsDouble())) {
                max = OptionalDouble.of(v);
            }
        }
        return max;
    }

    @Override
    public OptionalDouble quantile(MetricType type, Instant from, double percentile) {
        double[] values = new double[samples.size()];
        int n = 0;
        for (int i = samples.size() - 1; i >= 0 && !samples.get(i).at().isBefore(from); i--) {
            double v = samples.get(i).value(type);
            if (!Double.isNaN(v)) {
                values[n++] = v;
            }
        }
        if (n == 0) {
            return OptionalDouble.empty();
        }
        java.util.Arrays.sort(values, 0, n);
        return OptionalDouble.of(values[nearestRank(percentile, n) - 1]);
    }

    /** The nearest rank (1 to {@code n}) of the {@code percentile}-th percentile of {@code n} sorted values. */
    public static int nearestRank(double percentile, int n) {
        double p = Math.max(0, Math.min(100, percentile));
        return (int) Math.max(1, Math.min(n, Math.ceil(p / 100.0 * n - 1e-9)));
    }
}
