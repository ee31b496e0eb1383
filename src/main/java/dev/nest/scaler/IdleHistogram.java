package dev.nest.scaler;

import java.time.Duration;
import java.util.Arrays;

/**
 * The idle times of one function (from the moment its last in-flight request ended to the next arrival), in
 * one-minute bins over a fixed range (4 hours by default, as in Shahrad et al., USENIX ATC 2020), plus a count
 * of idle times longer than the range. Immutable: {@link #record} returns a new histogram. Idle times shorter
 * than a minute fall into bin 0.
 */
public final class IdleHistogram {
    public static final Duration BIN = Duration.ofMinutes(1);
    public static final Duration STANDARD_RANGE = Duration.ofHours(4);
    private static final IdleHistogram STANDARD_EMPTY = new IdleHistogram(new int[(int) STANDARD_RANGE.toMinutes()], 0, 0);

    private final int[] bins;
    private final long outOfRange;
    private final long inRange;

    private IdleHistogram(int[] bins, long inRange, long outOfRange) {
        this.bins = bins;
        this.inRange = inRange;
        this.outOfRange = outOfRange;
    }

    /** An empty histogram over the standard 4-hour range. */
    public static IdleHistogram empty() {
        return STANDARD_EMPTY;
    }

    /** An empty histogram over {@code range} (whole minutes, 1 minute to 1 day). */
    public static IdleHistogram empty(Duration range) {
        long m = range.toMinutes();
        if (m < 1 || m > 1440 || !range.equals(Duration.ofMinutes(m))) {
            throw new IllegalArgumentException("histogram range " + range + " is not a whole number of minutes from 1m to 1d");
        }
        return m == STANDARD_RANGE.toMinutes() ? STANDARD_EMPTY : new IdleHistogram(new int[(int) m], 0, 0);
    }

    /** This histogram with one more idle time. */
    public IdleHistogram record(Duration idle) {
        long minute = Math.max(0, idle.toMillis()) / BIN.toMillis();
        if (minute >= bins.length) {
            return new IdleHistogram(bins, inRange, outOfRange + 1);
        }
        int[] copy = bins.clone();
        copy[(int) minute]++;
        return new IdleHistogram(copy, inRange + 1, outOfRange);
    }

    /** The histogram's range: idle times at or beyond it count as out of range. */
    public Duration range() {
        return BIN.multipliedBy(bins.length);
    }

    public int binCount() {
        return bins.length;
    }

    /** Idle times in bin {@code i}, i.e. in {@code [i, i+1)} minutes. */
    public int count(int bin) {
        return bins[bin];
    }

    /** Idle times within the range. */
    public long inRange() {
        return inRange;
    }

    /** Idle times at or beyond the range. */
    public long outOfRange() {
        return outOfRange;
    }

    /**
     * The bin holding the {@code p}-th percentile (0 < p <= 100) of the in-range idle times: the first bin at
     * which the cumulative count reaches {@code p%} of them; -1 when the histogram has none.
     */
    public int percentileBin(double p) {
        if (inRange == 0) {
            return -1;
        }
        double need = p / 100.0 * inRange;
        long cumulative = 0;
        for (int i = 0; i < bins.length; i++) {
            cumulative += bins[i];
            if (cumulative >= need && cumulative > 0) {
                return i;
            }
        }
        return bins.length - 1;
    }

    /**
     * The coefficient of variation (standard deviation / mean) of the bin counts over all bins: high when idle
     * times concentrate in a few bins, low when they spread evenly; 0 for an empty histogram.
     */
    public double binCountCv() {
        if (inRange == 0) {
            return 0;
        }
        double mean = (double) inRange / bins.length;
        double sq = 0;
        for (int c : bins) {
            sq += (c - mean) * (c - mean);
        }
        return Math.sqrt(sq / bins.length) / mean;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdleHistogram h && h.outOfRange == outOfRange && Arrays.equals(h.bins, bins);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bins) * 31 + Long.hashCode(outOfRange);
    }

    @Override
    public String toString() {
        return "IdleHistogram[" + inRange + " in " + range().toMinutes() + "m, " + outOfRange + " beyond]";
    }
}
