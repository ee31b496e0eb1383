package dev.nest.alert;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What an alert rule watches, and the unit of its threshold. */
public enum Metric {
    ERROR_RATE("error-rate", Unit.RATIO, false),
    ERRORS("errors", Unit.COUNT, false),
    THROTTLES("throttles", Unit.COUNT, false),
    P50("p50", Unit.DURATION, false),
    P95("p95", Unit.DURATION, false),
    P99("p99", Unit.DURATION, false),
    COLD_START_RATE("cold-start-rate", Unit.RATIO, false),
    /** dead letters of async invocations that ended in the window */
    DEAD_LETTERS("dead-letters", Unit.COUNT, true),
    /** how late a cron trigger's overdue tick is: it stopped firing */
    CRON_STALLED("cron-stalled", Unit.DURATION, true);

    /** A threshold's unit: a fraction (0.05 or 5%), a count, or a duration (500ms, 2s, 5m; kept in ms). */
    public enum Unit { RATIO, COUNT, DURATION }

    private final String key;
    private final Unit unit;
    private final boolean functionOnly;

    Metric(String key, Unit unit, boolean functionOnly) {
        this.key = key;
        this.unit = unit;
        this.functionOnly = functionOnly;
    }

    public String key() {
        return key;
    }

    public Unit unit() {
        return unit;
    }

    /** Whether a rule on it must name a function (not a whole namespace). */
    public boolean functionOnly() {
        return functionOnly;
    }

    static String allowed() {
        return Arrays.stream(values()).map(Metric::key).collect(Collectors.joining(", "));
    }

    public static Metric of(String key) {
        for (Metric m : values()) {
            if (m.key.equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("metric '" + key + "' is not known; use one of " + allowed());
    }
}
