package dev.nest.scaler;

import java.time.Duration;

/**
 * The short scale-down for a function's <em>burst</em> instances: the ones above its steady need. The standard
 * scale-down waits {@code scale-down-delay} (20 minutes by default) before it releases anything, which is right for
 * a load that comes back but holds every instance a one-off burst started for those 20 minutes. With this rule, once
 * the stable window has asked for fewer instances for {@link #after} (seconds to a minute), the count may drop at
 * once to the largest of: the highest count the stable window asked for since then, the instances the function's
 * steady need fills (the {@link #quantile}-th percentile of its per-second concurrency over the last {@link #window},
 * at its concurrency target) and the instances its requests in flight fill now. Instances at or below that keep the
 * full {@code scale-down-delay}.
 *
 * <p>Why it does not flap: a burst that recurs often enough to be in the percentile raises the steady need and its
 * instances are no longer burst instances; a release needs the lower count to hold for {@code after} (a rise of the
 * instance count restarts it, as it restarts the delay); and a scale-up still needs a rise of more than 10% over the
 * stable window. {@code min}, schedule rules, requests in flight and the keep-alive policy of an idle function's last
 * instance apply after this rule, as after every scale-down.
 *
 * <p>{@link #keep} is the pure rule; {@link WindowedScaler} applies it for the live scaler and the trace simulator
 * alike. Immutable and thread-safe.
 *
 * @param after    how long a lower count must hold before burst instances go; {@link Duration#ZERO}: off (only
 *                 {@code scale-down-delay} releases instances)
 * @param window   the span over which the steady need is measured, 1 minute to 1 hour
 * @param quantile the percentile of per-second concurrency that is the steady need, 50 to 100
 */
public record BurstRelease(Duration after, Duration window, double quantile) {
    /** The longest {@code after}. */
    public static final Duration MAX_AFTER = Duration.ofMinutes(10);
    /** The default span of the steady need. */
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(10);
    /** The default percentile of the steady need. */
    public static final double DEFAULT_QUANTILE = 95;
    /** No burst release: the standard scale-down alone. */
    public static final BurstRelease OFF = new BurstRelease(Duration.ZERO, DEFAULT_WINDOW, DEFAULT_QUANTILE);

    public BurstRelease {
        if (after == null || after.isNegative() || after.compareTo(MAX_AFTER) > 0) {
            throw new IllegalArgumentException("burst release after " + after + " is outside 0s..10m (0s: off)");
        }
        if (window == null || window.compareTo(Duration.ofMinutes(1)) < 0 || window.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("burst release window " + window + " is outside 1m..1h");
        }
        if (!(quantile >= 50 && quantile <= 100)) {
            throw new IllegalArgumentException("burst release quantile " + quantile + " is outside 50..100");
        }
    }

    /** Burst release after {@code after} with the default window and percentile. */
    public static BurstRelease after(Duration after) {
        return new BurstRelease(after, DEFAULT_WINDOW, DEFAULT_QUANTILE);
    }

    /**
     * Whether the rule applies to a function of {@code deploy}: not to {@code deploy: dedicated}, whose instances above
     * the steady need are pods of their own (releasing them early trades each for a cold start when the burst
     * recurs: on the replayed Azure day 0.97x to 1.20x the pod cold starts of a fixed keep-alive), only to functions
     * whose burst instances are merged workers that start in milliseconds ({@code auto}, ADR 0025) or merged ones.
     */
    public static boolean appliesTo(dev.nest.function.DeployMode deploy) {
        return deploy != dev.nest.function.DeployMode.DEDICATED;
    }

    /** Whether the rule is on. */
    public boolean enabled() {
        return !after.isZero();
    }

    /**
     * The count a function keeps once burst instances go: {@code current} while the lower count has held less than
     * {@link #after} (or the rule is off), else the largest of {@code highest} (what the stable window asked for
     * since it first asked for fewer), the instances the steady concurrency {@code steady} fills at
     * {@code perInstance} requests each, and {@code demand} (the instances the requests in flight fill now); never
     * more than {@code current}.
     *
     * @param current     instances now
     * @param highest     the highest count the stable window asked for while lower than the count
     * @param steady      the steady concurrency ({@link #quantile} over {@link #window})
     * @param perInstance requests one instance carries at its target (positive)
     * @param demand      instances the requests in flight and waiting fill now
     * @param lowFor      how long the stable window has asked for fewer than {@code current}
     */
    public int keep(int current, int highest, double steady, double perInstance, int demand, Duration lowFor) {
        if (!enabled() || lowFor.compareTo(after) < 0 || current <= 0) {
            return Math.max(0, current);
        }
        if (!(perInstance > 0)) {
            throw new IllegalArgumentException("requests per instance must be positive, got " + perInstance);
        }
        long keep = Math.max(Math.max(highest, steadyCount(steady, perInstance)), demand);
        return (int) Math.max(0, Math.min(current, keep));
    }

    /**
     * The instances a steady concurrency {@code steady} fills at {@code perInstance} requests each (rounded up; an
     * unknown, infinite or NaN, steady need is {@link Integer#MAX_VALUE}: every instance is steady).
     */
    public static int steadyCount(double steady, double perInstance) {
        if (!(perInstance > 0)) {
            throw new IllegalArgumentException("requests per instance must be positive, got " + perInstance);
        }
        double s = Double.isFinite(steady) ? Math.max(0, steady) : Double.MAX_VALUE;
        return (int) Math.min(Integer.MAX_VALUE, Math.ceil(s / perInstance - 1e-9));
    }

    /**
     * Whether one more instance of a function that has {@code existing} is a burst instance: beyond what its steady
     * need fills. Such an instance may be placed where it is cheap to start and to park (a worker in the function's
     * merged pod, for a {@code deploy: auto} function) rather than in a pod of its own. The node agent and the trace
     * simulator place by {@code scheduler.Placement#startPlace}, which counts the same way on the steady count
     * ({@link #steadyCount}).
     */
    public static boolean beyondSteady(int existing, double steady, double perInstance) {
        return existing >= steadyCount(steady, perInstance);
    }
}
