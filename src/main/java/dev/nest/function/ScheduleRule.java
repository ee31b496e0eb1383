package dev.nest.function;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;

/**
 * Scheduled scaling: from each time {@code cron} fires (in {@code timezone}) and for {@code duration}, the
 * function keeps at least {@code min} instances. Cron fires on local wall-clock time (see {@link CronExpression}), so a
 * rule for 08:00 follows daylight-saving changes; a local minute that does not exist (the spring gap) does not
 * fire.
 *
 * @param cron     when a window opens
 * @param duration how long a window stays open, 1 minute to 1 day
 * @param min      the minimum during the window
 * @param timezone the zone the cron expression is read in
 */
public record ScheduleRule(CronExpression cron, Duration duration, int min, ZoneId timezone) {
    public static final Duration MIN_DURATION = Duration.ofMinutes(1);
    public static final Duration MAX_DURATION = Duration.ofDays(1);

    public ScheduleRule {
        if (cron == null || duration == null || timezone == null) {
            throw new IllegalArgumentException("cron, duration and timezone are required");
        }
        if (duration.compareTo(MIN_DURATION) < 0 || duration.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("schedule duration " + duration + " is outside 1m..1d");
        }
        if (min < 0 || min > SpecParser.MAX_INSTANCES) {
            throw new IllegalArgumentException("schedule min " + min + " is outside 0.." + SpecParser.MAX_INSTANCES);
        }
    }

    /**
     * The end of the window that contains {@code now}, if one does: the latest firing at or before {@code now}
     * whose window has not closed yet.
     */
    public Optional<Instant> activeUntil(Instant now) {
        return cron.latest(now, timezone).map(t -> t.plus(duration)).filter(end -> end.isAfter(now));
    }
}
