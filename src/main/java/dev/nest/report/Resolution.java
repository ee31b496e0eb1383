package dev.nest.report;

import java.time.Duration;

/** The two bucket lengths the report keeps, and how long each is kept. */
public enum Resolution {
    /** Minute buckets, kept two days. */
    MINUTE(60, Duration.ofDays(2)),
    /** Hour buckets, kept eight days. */
    HOUR(3600, Duration.ofDays(8));

    private final int seconds;
    private final Duration kept;

    Resolution(int seconds, Duration kept) {
        this.seconds = seconds;
        this.kept = kept;
    }

    public int seconds() {
        return seconds;
    }

    public Duration kept() {
        return kept;
    }

    /** The start of the bucket holding {@code epochSecond}. */
    public long floor(long epochSecond) {
        return Math.floorDiv(epochSecond, seconds) * seconds;
    }

    public static Resolution of(int seconds) {
        for (Resolution r : values()) {
            if (r.seconds == seconds) {
                return r;
            }
        }
        throw new IllegalArgumentException("resolution: '" + seconds + "' is not allowed; use 60 or 3600");
    }
}
