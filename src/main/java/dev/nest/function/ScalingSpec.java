package dev.nest.function;

import dev.nest.common.Durations;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a function scales: the {@code scaling:} block of its spec. Every field has a default; the constructor
 * checks the invariants (with the same key/value/allowed messages as the parser) and {@link SpecParser} reads
 * and writes the YAML/JSON form. The scaler turns this into its working config.
 *
 * <pre>
 * scaling:
 *   min: 0                      # reserved instances, always kept (0 allows scale to zero)
 *   max: 10
 *   keep-alive: 10m             # the fixed keep-alive (and the histogram policy's fallback)
 *   utilization: 0.7            # scale so that instances run at 70% of their targets
 *   metrics: [{type: concurrency, target: 1}]   # default: concurrency at the function's 'concurrency'
 *   scale-down-delay: 20m       # a lower count must hold this long before instances are removed
 *   max-scale-down-step: 50%    # at most this many instances removed per decision (count or percentage)
 *   scale-to-zero-after: 4h     # an idle function never keeps an instance longer than this
 *   keep-alive-policy: histogram   # fixed | histogram
 *   schedule: [{cron: "0 8 * * MON-FRI", duration: 2h, min: 5, timezone: Asia/Shanghai}]
 * </pre>
 *
 * @param min              reserved instances, 0..10000
 * @param max              upper bound, 1..10000 and at least {@code min}
 * @param keepAlive        the fixed keep-alive, 1s..1d
 * @param utilization      fraction of each target an instance should carry, 0.1..1
 * @param metrics          the metrics to scale on, at most one per type; empty means concurrency at the
 *                         function's {@code concurrency} ({@link #metricsFor})
 * @param scaleDownDelay   how long a lower count must hold before a scale-down, 0s..1h
 * @param maxScaleDownStep the most instances one scale-down decision removes
 * @param scaleToZeroAfter the longest an idle function keeps an instance, 0s..1d
 * @param schedule         rules that raise the minimum in time windows
 * @param keepAlivePolicy  fixed or histogram
 */
public record ScalingSpec(int min, int max, Duration keepAlive, double utilization, List<MetricTarget> metrics,
                          Duration scaleDownDelay, ScaleDownStep maxScaleDownStep, Duration scaleToZeroAfter,
                          List<ScheduleRule> schedule, KeepAliveMode keepAlivePolicy) {
    public static final int DEFAULT_MIN = 0;
    public static final int DEFAULT_MAX = 10;
    public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofMinutes(10);
    public static final double DEFAULT_UTILIZATION = 0.7;
    public static final Duration DEFAULT_SCALE_DOWN_DELAY = Duration.ofMinutes(20);
    public static final ScaleDownStep DEFAULT_SCALE_DOWN_STEP = new ScaleDownStep(50, true);
    public static final Duration DEFAULT_SCALE_TO_ZERO_AFTER = Duration.ofHours(4);
    public static final KeepAliveMode DEFAULT_KEEP_ALIVE_POLICY = KeepAliveMode.HISTOGRAM;
    public static final Duration MIN_KEEP_ALIVE = Duration.ofSeconds(1);
    public static final Duration MAX_KEEP_ALIVE = Duration.ofDays(1);
    public static final Duration MAX_SCALE_DOWN_DELAY = Duration.ofHours(1);
    public static final Duration MAX_SCALE_TO_ZERO_AFTER = Duration.ofDays(1);
    public static final ScalingSpec DEFAULT = new ScalingSpec(DEFAULT_MIN, DEFAULT_MAX, DEFAULT_KEEP_ALIVE);

    public ScalingSpec {
        metrics = List.copyOf(metrics);
        schedule = List.copyOf(schedule);
        List<SpecProblem> problems = new ArrayList<>();
        int limit = SpecParser.MAX_INSTANCES;
        check(min >= 0 && min <= limit, "scaling.min", min, "an integer number of instances from 0 to " + limit, problems);
        check(max >= 1 && max <= limit, "scaling.max", max, "an integer number of instances from 1 to " + limit, problems);
        check(max >= min, "scaling.max", max, "at least scaling.min (" + min + ")", problems);
        check(between(keepAlive, MIN_KEEP_ALIVE, MAX_KEEP_ALIVE), "scaling.keep-alive", keepAlive,
                durations(MIN_KEEP_ALIVE, MAX_KEEP_ALIVE), problems);
        check(utilization >= 0.1 && utilization <= 1.0, "scaling.utilization", utilization, "a number from 0.1 to 1", problems);
        check(metrics.stream().map(MetricTarget::type).distinct().count() == metrics.size(), "scaling.metrics",
                metrics, "at most one entry per type", problems);
        check(between(scaleDownDelay, Duration.ZERO, MAX_SCALE_DOWN_DELAY), "scaling.scale-down-delay", scaleDownDelay,
                durations(Duration.ZERO, MAX_SCALE_DOWN_DELAY), problems);
        check(maxScaleDownStep != null, "scaling.max-scale-down-step", null, ScaleDownStep.ALLOWED, problems);
        check(between(scaleToZeroAfter, Duration.ZERO, MAX_SCALE_TO_ZERO_AFTER), "scaling.scale-to-zero-after",
                scaleToZeroAfter, durations(Duration.ZERO, MAX_SCALE_TO_ZERO_AFTER), problems);
        check(keepAlivePolicy != null, "scaling.keep-alive-policy", null, KeepAliveMode.ALLOWED, problems);
        for (int i = 0; i < schedule.size(); i++) {
            check(schedule.get(i).min() <= max, "scaling.schedule[" + i + "].min", schedule.get(i).min(),
                    "at most scaling.max (" + max + ")", problems);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems.stream().map(SpecProblem::toString).toList()));
        }
    }

    /** Bounds and a fixed keep-alive; every other field at its default. */
    public ScalingSpec(int min, int max, Duration keepAlive) {
        this(min, max, keepAlive, DEFAULT_UTILIZATION, List.of(), DEFAULT_SCALE_DOWN_DELAY, DEFAULT_SCALE_DOWN_STEP,
                DEFAULT_SCALE_TO_ZERO_AFTER, List.of(), DEFAULT_KEEP_ALIVE_POLICY);
    }

    /** The metrics to scale on for a function whose instances take {@code concurrency} requests each. */
    public List<MetricTarget> metricsFor(int concurrency) {
        return metrics.isEmpty()
                ? List.of(new MetricTarget(MetricType.CONCURRENCY, Math.max(1, Math.min(concurrency, MetricType.CONCURRENCY.maxTarget()))))
                : metrics;
    }

    public ScalingSpec withMinMax(int newMin, int newMax) {
        return new ScalingSpec(newMin, newMax, keepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, schedule, keepAlivePolicy);
    }

    public ScalingSpec withMetrics(List<MetricTarget> newMetrics, double newUtilization) {
        return new ScalingSpec(min, max, keepAlive, newUtilization, newMetrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, schedule, keepAlivePolicy);
    }

    public ScalingSpec withScaleDown(Duration delay, ScaleDownStep step) {
        return new ScalingSpec(min, max, keepAlive, utilization, metrics, delay, step, scaleToZeroAfter, schedule,
                keepAlivePolicy);
    }

    public ScalingSpec withKeepAlive(Duration newKeepAlive, KeepAliveMode mode, Duration newScaleToZeroAfter) {
        return new ScalingSpec(min, max, newKeepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                newScaleToZeroAfter, schedule, mode);
    }

    public ScalingSpec withSchedule(List<ScheduleRule> rules) {
        return new ScalingSpec(min, max, keepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, rules, keepAlivePolicy);
    }

    /** A number without a trailing {@code .0}, for messages. */
    public static String number(double d) {
        return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    private static void check(boolean ok, String key, Object value, String allowed, List<SpecProblem> problems) {
        if (!ok) {
            problems.add(new SpecProblem(key, value instanceof Duration d ? Durations.format(d) : String.valueOf(value), allowed));
        }
    }

    static boolean between(Duration d, Duration lo, Duration hi) {
        return d != null && d.compareTo(lo) >= 0 && d.compareTo(hi) <= 0;
    }

    static String durations(Duration lo, Duration hi) {
        return Durations.ALLOWED + ", from " + Durations.format(lo) + " to " + Durations.format(hi);
    }
}
