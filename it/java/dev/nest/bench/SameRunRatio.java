package dev.nest.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * A guarded ratio ({@link BenchBlock.Ratio}) of two sample sets measured in the same run: the median of one over the
 * median of the other, and its noise, the spread (max - min) of the same ratio over interleaved subsets (sample i
 * in subset {@code i mod k}, k from 2 to 4 so that each subset keeps at least 3 samples when it can). Benchmarks that
 * interleave their modes sample by sample get a noise that includes the machine's drift during the run; for sets
 * measured one after the other it is the spread within each set only. Pure.
 */
final class SameRunRatio {
    private SameRunRatio() {
    }

    /**
     * The ratio {@code median(numerator) / median(denominator)}, recorded with itself as the floor (a benchmark writes
     * its measurement; {@link BenchmarksDoc} keeps the doc's floor when it rewrites a section).
     *
     * @throws IllegalArgumentException when either set is empty or a median is not positive
     */
    static BenchBlock.Ratio of(String id, List<Double> numerator, List<Double> denominator, boolean higherIsBetter) {
        if (numerator.isEmpty() || denominator.isEmpty()) {
            throw new IllegalArgumentException("ratio " + id + ": no samples (" + numerator.size() + " / "
                    + denominator.size() + ")");
        }
        double value = quotient(id, numerator, denominator);
        int n = Math.min(numerator.size(), denominator.size());
        int k = Math.max(2, Math.min(4, n / 3));
        double noise;
        if (n < k) {
            noise = value; // one or two samples say nothing about their spread: a tolerance as wide as the ratio
        } else {
            List<Double> parts = new ArrayList<>();
            for (int g = 0; g < k; g++) {
                parts.add(quotient(id, every(numerator, g, k), every(denominator, g, k)));
            }
            noise = Stats.max(parts) - Stats.min(parts);
        }
        return new BenchBlock.Ratio(id, value, value, noise, higherIsBetter);
    }

    private static double quotient(String id, List<Double> a, List<Double> b) {
        double den = Stats.median(b);
        if (!(den > 0)) {
            throw new IllegalArgumentException("ratio " + id + ": the baseline's median is " + den);
        }
        return Stats.median(a) / den;
    }

    private static List<Double> every(List<Double> v, int start, int step) {
        List<Double> out = new ArrayList<>();
        for (int i = start; i < v.size(); i += step) {
            out.add(v.get(i));
        }
        return out;
    }
}
