package dev.nest.bench;

import java.util.Arrays;
import java.util.List;

/** Order statistics of small samples (nearest-rank percentiles: with 20 samples p99 is the slowest one). */
final class Stats {
    private Stats() {
    }

    /** The nearest-rank {@code p}-th percentile (0 < p <= 100) of {@code values}; NaN when empty. */
    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        int rank = (int) Math.ceil(p / 100.0 * v.length);
        return v[Math.min(v.length, Math.max(1, rank)) - 1];
    }

    static double median(List<Double> values) {
        return percentile(values, 50);
    }

    static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
