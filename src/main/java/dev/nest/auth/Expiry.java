package dev.nest.auth;

import dev.nest.common.Durations;
import dev.nest.common.NestException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Optional;

/**
 * Parses when a token expires, as a user writes it:
 * <ul>
 *   <li>{@code never} (or {@code none}, or nothing): no expiry;</li>
 *   <li>a duration from now: {@code 30d}, {@code 12h}, {@code 90m} (the forms of {@link Durations}), or ISO-8601
 *       ({@code P30D}, {@code PT12H}, {@code P1Y2M}; years and months are calendar ones, in UTC);</li>
 *   <li>an instant: {@code 2027-01-01T00:00:00Z}, with an offset ({@code 2027-01-01T09:00:00+02:00}), or a date
 *       ({@code 2027-01-01}, midnight UTC).</li>
 * </ul>
 * The result must lie after now. Pure: the clock is a parameter.
 */
public final class Expiry {
    public static final String ALLOWED = "never, a duration from now like 30d, 12h or P30D, or an instant like "
            + "2027-01-01T00:00:00Z or 2027-01-01";

    private Expiry() {
    }

    /**
     * @param key   the field or option the value came from, for messages
     * @param value what the user wrote
     * @return the instant the token stops working; empty for never
     * @throws NestException 400 naming the key, the value and the allowed forms
     */
    public static Optional<Instant> parse(String key, String value, Clock clock) {
        String v = value == null ? "" : value.strip();
        String lower = v.toLowerCase(Locale.ROOT);
        if (v.isEmpty() || lower.equals("never") || lower.equals("none")) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Instant at = instant(key, v, now);
        if (!at.isAfter(now)) {
            throw NestException.badRequest("key '" + key + "': value '" + value + "' is not after now (" + now
                    + "); allowed: " + ALLOWED);
        }
        return Optional.of(at);
    }

    private static Instant instant(String key, String v, Instant now) {
        try {
            if (Character.isDigit(v.charAt(0)) && !v.contains("-") && !v.contains(":")) {
                return now.plus(Durations.parse(v));
            }
            if (v.charAt(0) == 'P' || v.charAt(0) == 'p') {
                return plusIso(v.toUpperCase(Locale.ROOT), now);
            }
            if (v.contains("T") || v.contains("t")) {
                return OffsetDateTime.parse(v.toUpperCase(Locale.ROOT)).toInstant();
            }
            return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (IllegalArgumentException | DateTimeException | ArithmeticException e) {
            throw NestException.badRequest("key '" + key + "': value '" + v + "' is not valid; allowed: " + ALLOWED);
        }
    }

    /** {@code P30D}, {@code PT12H}, {@code P1Y2M}, {@code P1DT12H}. */
    private static Instant plusIso(String v, Instant now) {
        if (v.equals("P") || v.endsWith("T")) {
            throw new IllegalArgumentException("an ISO-8601 duration needs at least one amount");
        }
        int t = v.indexOf('T');
        String datePart = t < 0 ? v : v.substring(0, t);
        Instant at = now;
        if (!datePart.equals("P")) {
            at = now.atOffset(ZoneOffset.UTC).plus(Period.parse(datePart)).toInstant();
        }
        if (t >= 0) {
            at = at.plus(Duration.parse("P" + v.substring(t)));
        }
        return at;
    }
}
