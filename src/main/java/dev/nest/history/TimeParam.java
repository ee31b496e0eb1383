package dev.nest.history;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** {@code since}/{@code until}: an RFC 3339 time, or a duration back from now ({@code 30s}, {@code 10m}, {@code 2h}, {@code 7d}). */
final class TimeParam {
    private TimeParam() {
    }

    static Instant parse(String name, String value, Instant now) {
        if (value.matches("\\d{1,7}[smhd]")) {
            long n = Long.parseLong(value.substring(0, value.length() - 1));
            Duration d = switch (value.charAt(value.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return now.minus(d);
        }
        if (value.length() <= 40) {
            try {
                return OffsetDateTime.parse(value).toInstant();
            } catch (DateTimeParseException e) {
                // refused below
            }
        }
        throw new HistoryException("query parameter '" + name + "': value '" + HistoryParams.shown(value)
                + "' is not valid; allowed: an RFC 3339 time like 2025-06-01T12:00:00Z or a duration back from now "
                + "like 30s, 10m, 2h or 7d");
    }
}
