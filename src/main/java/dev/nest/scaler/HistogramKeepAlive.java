package dev.nest.scaler;

import dev.nest.common.Durations;
import java.time.Duration;
import java.util.Locale;

/**
 * The hybrid histogram policy of Shahrad et al., "Serverless in the Wild", USENIX ATC 2020, section 4.2: from
 * a function's histogram of idle times (one-minute bins over 4 hours), pre-warm at the {@code head}
 * percentile (5th) less a {@code margin} (10%) and keep the instance until the {@code tail} percentile (99th)
 * plus the margin. When the head percentile falls in the first bin the instance is simply kept after the last
 * request until the tail; otherwise it is unloaded and loaded again just before the next request is expected.
 *
 * <p>While the histogram is not representative the {@code fallback} (fixed) policy decides: fewer than
 * {@code minSamples} in-range idle times, a coefficient of variation of the bin counts below
 * {@code cvThreshold} (idle times spread flat over the range: nothing to predict; the paper's rule, threshold
 * 2), or more idle times beyond the range than within it (the paper switches to a time-series forecast there;
 * we fall back instead).
 *
 * @param fallback    the policy used while the histogram is not representative
 * @param head        percentile that sets the pre-warm point, 0 < head < tail
 * @param tail        percentile that sets the end of the keep-alive window, head < tail <= 100
 * @param margin      fraction taken off the pre-warm point and added to the keep-alive end, 0..1
 * @param minSamples  in-range idle times needed before the histogram is trusted
 * @param cvThreshold bin-count coefficient of variation needed before the histogram is trusted
 */
public record HistogramKeepAlive(FixedKeepAlive fallback, double head, double tail, double margin, int minSamples,
                                 double cvThreshold) implements KeepAlivePolicy {
    public HistogramKeepAlive {
        if (fallback == null || !(head > 0 && head < tail && tail <= 100) || !(margin >= 0 && margin < 1)
                || minSamples < 1 || cvThreshold < 0) {
            throw new IllegalArgumentException("histogram keep-alive needs 0 < head < tail <= 100, 0 <= margin < 1, "
                    + "minSamples >= 1, cvThreshold >= 0; got head " + head + ", tail " + tail + ", margin " + margin
                    + ", minSamples " + minSamples + ", cvThreshold " + cvThreshold);
        }
    }

    /** The paper's parameters (5th/99th percentiles, 10% margin, CV threshold 2) with at least 10 samples. */
    public static HistogramKeepAlive standard(FixedKeepAlive fallback) {
        return new HistogramKeepAlive(fallback, 5, 99, 0.10, 10, 2.0);
    }

    @Override
    public KeepAliveWindow window(IdleHistogram h) {
        long total = h.inRange() + h.outOfRange();
        if (h.inRange() < minSamples) {
            return fallback(h, h.inRange() + " idle times in range, fewer than " + minSamples);
        }
        if (h.outOfRange() > h.inRange()) {
            return fallback(h, h.outOfRange() + " of " + total + " idle times beyond " + Durations.format(h.range()));
        }
        double cv = h.binCountCv();
        if (cv < cvThreshold) {
            return fallback(h, String.format(Locale.ROOT, "bin-count CV %.2f below %.1f", cv, cvThreshold));
        }
        int headBin = h.percentileBin(head);
        int tailBin = h.percentileBin(tail);
        Duration from = headBin == 0 ? Duration.ZERO
                : Duration.ofMillis(Math.round(IdleHistogram.BIN.toMillis() * headBin * (1 - margin)));
        Duration until = Duration.ofMillis(Math.round(IdleHistogram.BIN.toMillis() * (tailBin + 1) * (1 + margin)));
        return new KeepAliveWindow(from, until, String.format(Locale.ROOT,
                "histogram of %d idle times (CV %.1f): p%s %s, p%s %s -> warm from %s until %s", h.inRange(), cv,
                number(head), headBin == 0 ? "<1m" : headBin + "m", number(tail), (tailBin + 1) + "m",
                Durations.format(from), Durations.format(until)));
    }

    private KeepAliveWindow fallback(IdleHistogram h, String why) {
        KeepAliveWindow w = fallback.window(h);
        return new KeepAliveWindow(w.warmFrom(), w.warmUntil(), w.reason() + " (histogram not representative: " + why + ")");
    }

    private static String number(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    @Override
    public String key() {
        return "histogram";
    }
}
