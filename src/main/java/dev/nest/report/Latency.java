package dev.nest.report;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * A mergeable histogram of durations (HdrHistogram, microseconds, 2 significant digits, up to one hour; longer
 * values count as one hour). Two nodes' histograms of the same bucket add up bucket by bucket, so a percentile of
 * the sum is the percentile of the union of their values, to the histogram's precision, never an average of
 * percentiles. Not thread-safe: one owner at a time.
 */
public final class Latency {
    /** The largest duration kept apart, in microseconds (one hour). */
    static final long MAX_MICROS = 3_600_000_000L;
    private static final int DIGITS = 2;

    private final Histogram h;

    private Latency(Histogram h) {
        this.h = h;
    }

    public static Latency empty() {
        return new Latency(new Histogram(MAX_MICROS, DIGITS));
    }

    /** Counts one duration in milliseconds (negative ones count as 0). */
    public void recordMillis(double ms) {
        long micros = Math.round(Math.max(0, ms) * 1000);
        h.recordValue(Math.min(MAX_MICROS, micros));
    }

    /** Adds every value of {@code other}. */
    public void add(Latency other) {
        h.add(other.h);
    }

    public long count() {
        return h.getTotalCount();
    }

    /**
     * The duration at {@code percentile} (0 to 100) in milliseconds, rounded to the microsecond: the highest value
     * equivalent to the recorded one at that rank; 0 when empty.
     */
    public double percentileMillis(double percentile) {
        if (h.getTotalCount() == 0) {
            return 0;
        }
        return h.highestEquivalentValue(h.getValueAtPercentile(percentile)) / 1000.0;
    }

    /** The compressed encoding (HdrHistogram's own format, deflated). */
    public byte[] encode() {
        ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(buf, 6);
        byte[] out = new byte[n];
        buf.flip();
        buf.get(out);
        return out;
    }

    /** Reads {@link #encode}'s output; an empty array is an empty histogram. */
    public static Latency decode(byte[] data) {
        if (data.length == 0) {
            return empty();
        }
        try {
            Histogram read = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(data), MAX_MICROS);
            Latency out = empty();
            out.h.add(read);
            return out;
        } catch (DataFormatException | RuntimeException e) {
            throw new IllegalArgumentException("not an encoded latency histogram (" + data.length + " bytes): "
                    + e.getMessage(), e);
        }
    }
}
