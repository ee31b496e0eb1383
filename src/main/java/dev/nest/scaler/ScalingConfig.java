package dev.nest.scaler;

import dev.nest.function.FunctionSpec;
import dev.nest.function.KeepAliveMode;
import dev.nest.function.MetricTarget;
import dev.nest.function.ScaleDownStep;
import dev.nest.function.ScalingSpec;
import dev.nest.function.ScheduleRule;
import dev.nest.function.SpecParser;
import java.time.Duration;
import java.util.List;

/**
 * The scaler's working config for one function: the values of its {@link ScalingSpec} (the {@code scaling:}
 * block, parsed and validated by {@link SpecParser}), with the keep-alive policy as an object and the two
 * averaging windows. {@link #of} builds it from a spec; the {@code with...} methods exist for tests and the
 * trace simulator.
 *
 * @param min               reserved instances, 0..10000
 * @param max               upper bound, 1..10000 and at least {@code min}
 * @param keepAlive         the fixed keep-alive, 1s..1d
 * @param utilization       fraction of each target an instance should carry, 0.1..1
 * @param metrics           one or more metrics, at most one per type
 * @param scaleDownDelay    how long a lower count must hold before a scale-down, 0s..1h
 * @param maxScaleDownStep  the most instances one decision removes
 * @param scaleToZeroAfter  the longest an idle function keeps an instance for the keep-alive policy, 0s..1d
 * @param schedule          rules that raise the minimum in time windows
 * @param keepAlivePolicy   {@code fixed} or {@code histogram}
 * @param stableWindow      the averaging window for scale-down and steady scale-up (not a YAML key: 60s)
 * @param upWindow          the short window that scales up at once when instances are full (not a YAML key: 6s)
 */
public record ScalingConfig(int min, int max, Duration keepAlive, double utilization, List<MetricTarget> metrics,
                            Duration scaleDownDelay, ScaleDownStep maxScaleDownStep, Duration scaleToZeroAfter,
                            List<ScheduleRule> schedule, KeepAlivePolicy keepAlivePolicy, Duration stableWindow,
                            Duration upWindow) {
    public static final int MAX_INSTANCES = SpecParser.MAX_INSTANCES;
    public static final Duration DEFAULT_KEEP_ALIVE = ScalingSpec.DEFAULT_KEEP_ALIVE;
    public static final Duration DEFAULT_SCALE_DOWN_DELAY = ScalingSpec.DEFAULT_SCALE_DOWN_DELAY;
    public static final ScaleDownStep DEFAULT_SCALE_DOWN_STEP = ScalingSpec.DEFAULT_SCALE_DOWN_STEP;
    public static final Duration DEFAULT_SCALE_TO_ZERO_AFTER = ScalingSpec.DEFAULT_SCALE_TO_ZERO_AFTER;
    public static final Duration DEFAULT_STABLE_WINDOW = Duration.ofSeconds(60);
    public static final Duration DEFAULT_UP_WINDOW = Duration.ofSeconds(6);

    public ScalingConfig {
        metrics = List.copyOf(metrics);
        schedule = List.copyOf(schedule);
        if (metrics.isEmpty()) {
            throw new IllegalArgumentException("key 'scaling.metrics': one or more of {type, target}");
        }
        if (keepAlivePolicy == null) {
            throw new IllegalArgumentException("key 'scaling.keep-alive-policy': " + KeepAliveMode.ALLOWED);
        }
        // the same invariants and messages as the spec's
        new ScalingSpec(min, max, keepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep, scaleToZeroAfter,
                schedule, KeepAliveMode.FIXED);
        if (stableWindow == null || stableWindow.compareTo(Duration.ofSeconds(1)) < 0 || stableWindow.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("stable window " + stableWindow + " is outside 1s..1h");
        }
        if (upWindow == null || upWindow.compareTo(Duration.ofSeconds(1)) < 0 || upWindow.compareTo(stableWindow) > 0) {
            throw new IllegalArgumentException("up window " + upWindow + " is outside 1s..the stable window");
        }
    }

    /** The defaults for a function whose instances take {@code concurrency} requests each. */
    public static ScalingConfig defaults(int concurrency) {
        return of(ScalingSpec.DEFAULT, concurrency);
    }

    /** The keep-alive policy of {@code mode} around the fixed {@code keepAlive}. */
    public static KeepAlivePolicy policy(KeepAliveMode mode, Duration keepAlive) {
        return switch (mode) {
            case FIXED -> new FixedKeepAlive(keepAlive);
            case HISTOGRAM -> HistogramKeepAlive.standard(new FixedKeepAlive(keepAlive));
        };
    }

    public ScalingConfig withMinMax(int newMin, int newMax) {
        return new ScalingConfig(newMin, newMax, keepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, schedule, keepAlivePolicy, stableWindow, upWindow);
    }

    public ScalingConfig withMetrics(List<MetricTarget> newMetrics, double newUtilization) {
        return new ScalingConfig(min, max, keepAlive, newUtilization, newMetrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, schedule, keepAlivePolicy, stableWindow, upWindow);
    }

    public ScalingConfig withScaleDown(Duration delay, ScaleDownStep step) {
        return new ScalingConfig(min, max, keepAlive, utilization, metrics, delay, step, scaleToZeroAfter, schedule,
                keepAlivePolicy, stableWindow, upWindow);
    }

    public ScalingConfig withKeepAlive(Duration newKeepAlive, KeepAlivePolicy policy, Duration newScaleToZeroAfter) {
        return new ScalingConfig(min, max, newKeepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                newScaleToZeroAfter, schedule, policy, stableWindow, upWindow);
    }

    public ScalingConfig withSchedule(List<ScheduleRule> rules) {
        return new ScalingConfig(min, max, keepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, rules, keepAlivePolicy, stableWindow, upWindow);
    }

    public ScalingConfig withWindows(Duration stable, Duration up) {
        return new ScalingConfig(min, max, keepAlive, utilization, metrics, scaleDownDelay, maxScaleDownStep,
                scaleToZeroAfter, schedule, keepAlivePolicy, stable, up);
    }

    /**
     * The working config for a function's {@code scaling:} block: the spec's values, the default metric
     * (concurrency at the function's {@code concurrency}) when it names none, the keep-alive policy object and the
     * standard windows.
     */
    public static ScalingConfig of(ScalingSpec s, int concurrency) {
        return new ScalingConfig(s.min(), s.max(), s.keepAlive(), s.utilization(), s.metricsFor(concurrency),
                s.scaleDownDelay(), s.maxScaleDownStep(), s.scaleToZeroAfter(), s.schedule(),
                policy(s.keepAlivePolicy(), s.keepAlive()), DEFAULT_STABLE_WINDOW, DEFAULT_UP_WINDOW);
    }

    /** The working config of a function spec. */
    public static ScalingConfig of(FunctionSpec spec) {
        return of(spec.scaling(), spec.concurrency());
    }

    /** A number without a trailing {@code .0}. */
    static String number(double d) {
        return ScalingSpec.number(d);
    }
}
