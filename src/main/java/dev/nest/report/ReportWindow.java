package dev.nest.report;

import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The windows a report may cover, with the buckets it reads and the step of its series: up to 24 hours from minute
 * buckets, 7 days from hour buckets; a series has 5 to 168 points.
 */
public enum ReportWindow {
    M5("5m", Duration.ofMinutes(5), Resolution.MINUTE, 60),
    M15("15m", Duration.ofMinutes(15), Resolution.MINUTE, 60),
    H1("1h", Duration.ofHours(1), Resolution.MINUTE, 60),
    H6("6h", Duration.ofHours(6), Resolution.MINUTE, 300),
    H24("24h", Duration.ofHours(24), Resolution.MINUTE, 900),
    D7("7d", Duration.ofDays(7), Resolution.HOUR, 3600);

    private final String label;
    private final Duration length;
    private final Resolution resolution;
    private final int stepSeconds;

    ReportWindow(String label, Duration length, Resolution resolution, int stepSeconds) {
        this.label = label;
        this.length = length;
        this.resolution = resolution;
        this.stepSeconds = stepSeconds;
    }

    public String label() {
        return label;
    }

    public Duration length() {
        return length;
    }

    public Resolution resolution() {
        return resolution;
    }

    /** The length of one point of the series, in seconds. */
    public int stepSeconds() {
        return stepSeconds;
    }

    /** The window written {@code text}; an unknown one is an {@link IllegalArgumentException} naming the allowed ones. */
    public static ReportWindow parse(String text) {
        for (ReportWindow w : values()) {
            if (w.label.equals(text)) {
                return w;
            }
        }
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        throw new IllegalArgumentException("window: '" + shown + "' is not allowed; use one of "
                + Arrays.stream(values()).map(ReportWindow::label).collect(Collectors.joining(", ")));
    }

    /** The window whose length is at least {@code d} (the smallest such), or the longest. */
    public static ReportWindow covering(Duration d) {
        for (ReportWindow w : values()) {
            if (w.length.compareTo(d) >= 0) {
                return w;
            }
        }
        return D7;
    }
}
