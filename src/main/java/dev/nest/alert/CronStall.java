package dev.nest.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.function.CronExpression;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;

/**
 * Whether a cron trigger stopped firing, a pure function: the first tick of its schedule after the one it fired
 * last (or, when it never fired, after the last tick it claimed) should have fired by now; how long ago that was is
 * how late it is. Zero while the next tick is still ahead.
 */
public final class CronStall {
    private CronStall() {
    }

    /** How late a trigger's overdue tick is (zero when none is overdue); empty when the schedule cannot be read. */
    public static Optional<Duration> overdue(String schedule, String zone, Instant lastTick, Instant now) {
        try {
            Optional<Instant> due = CronExpression.parse(schedule).next(lastTick, ZoneId.of(zone));
            return Optional.of(due.filter(now::isAfter).map(d -> Duration.between(d, now)).orElse(Duration.ZERO));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The same from a cron trigger's view ({@code schedule}, {@code timezone}, {@code lastFire}, {@code lastClaimed},
     * as {@code GET /functions/{name}/triggers} shows them); empty when the view lacks them (a trigger that has not
     * run yet).
     */
    public static Optional<Duration> overdue(JsonNode details, Instant now) {
        String last = details.path("lastFire").asText(details.path("lastClaimed").asText(""));
        if (!details.hasNonNull("schedule") || last.isEmpty()) {
            return Optional.empty();
        }
        try {
            return overdue(details.path("schedule").asText(), details.path("timezone").asText("UTC"),
                    Instant.parse(last), now);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
