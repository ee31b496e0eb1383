package dev.nest.function;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * A cron expression, parsed and evaluated by cron-utils: five fields {@code minute hour day-of-month month
 * day-of-week} (Unix cron), or six with seconds first ({@code second minute hour day-of-month month day-of-week}).
 * Each field takes {@code *}, a number, a range {@code a-b}, a step {@code * /n} or {@code a-b/n} (without the space)
 * and comma-separated lists of those; months may be written {@code JAN}..{@code DEC}, days of week
 * {@code SUN}..{@code SAT} or {@code 0}..{@code 7} (0 and 7 are Sunday). As in Vixie cron, when both day-of-month and
 * day-of-week are restricted a day matches if either does. Times are read in the zone the caller gives; across a
 * daylight-saving change cron-utils skips local times that do not exist and fires once for a repeated hour.
 *
 * <p>A thin wrapper: Nest's callers (scaling schedules, the cron trigger) see only {@link #parse}, {@link #matches},
 * {@link #next} and {@link #latest}. Immutable and thread-safe.
 */
public final class CronExpression {
    /** What a valid expression looks like, for error messages. */
    public static final String ALLOWED = "five cron fields 'minute hour day-of-month month day-of-week', "
            + "e.g. '0 8 * * MON-FRI', or six with seconds first, e.g. '*/2 * * * * *' "
            + "(values: *, n, a-b, */n, a-b/n and lists a,b; months JAN-DEC, days SUN-SAT or 0-7)";
    private static final CronParser FIVE = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final CronParser SIX = new CronParser(sixFields());

    private final String text;
    private final ExecutionTime execution;
    private final boolean seconds;

    private CronExpression(String text, ExecutionTime execution, boolean seconds) {
        this.text = text;
        this.execution = execution;
        this.seconds = seconds;
    }

    /** Unix cron's fields with seconds in front; no L, W, # or ? (so day-of-month and day-of-week combine as in Unix). */
    private static CronDefinition sixFields() {
        return CronDefinitionBuilder.defineCron()
                .withSeconds().withValidRange(0, 59).and()
                .withMinutes().withValidRange(0, 59).and()
                .withHours().withValidRange(0, 23).and()
                .withDayOfMonth().withValidRange(1, 31).and()
                .withMonth().withValidRange(1, 12).and()
                .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).and()
                .instance();
    }

    /**
     * Parses an expression of five or six fields.
     *
     * @throws IllegalArgumentException saying what is wrong and what is allowed
     */
    public static CronExpression parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty cron expression; expected " + ALLOWED);
        }
        String trimmed = text.trim();
        int fields = trimmed.split("\\s+").length;
        if (fields != 5 && fields != 6) {
            throw new IllegalArgumentException("'" + trimmed + "' has " + fields + " fields; expected " + ALLOWED);
        }
        try {
            Cron cron = (fields == 5 ? FIVE : SIX).parse(trimmed);
            cron.validate();
            return new CronExpression(trimmed, ExecutionTime.forCron(cron), fields == 6);
        } catch (IllegalArgumentException e) {
            String why = String.valueOf(e.getMessage()).replace("Failed to parse cron expression. ", "");
            throw new IllegalArgumentException("'" + trimmed + "': " + why + "; expected " + ALLOWED, e);
        }
    }

    /** Whether the expression has a seconds field (six fields). */
    public boolean hasSeconds() {
        return seconds;
    }

    /**
     * True when the expression fires at this local time; a five-field expression is compared by the minute
     * (seconds ignored), a six-field one by the second.
     */
    public boolean matches(LocalDateTime t) {
        LocalDateTime at = seconds ? t.truncatedTo(ChronoUnit.SECONDS) : t.truncatedTo(ChronoUnit.MINUTES);
        return execution.isMatch(ZonedDateTime.of(at, ZoneOffset.UTC));
    }

    /** The first firing strictly after {@code t}, read in {@code zone}; empty when it never fires again. */
    public Optional<Instant> next(Instant t, ZoneId zone) {
        return execution.nextExecution(ZonedDateTime.ofInstant(t, zone)).map(ZonedDateTime::toInstant);
    }

    /** The latest firing at or before {@code t}, read in {@code zone}; empty when there is none. */
    public Optional<Instant> latest(Instant t, ZoneId zone) {
        ZonedDateTime after = ZonedDateTime.ofInstant(t, zone).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        return execution.lastExecution(after).map(ZonedDateTime::toInstant).filter(i -> !i.isAfter(t));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CronExpression c && c.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** The expression as written. */
    @Override
    public String toString() {
        return text;
    }
}
