package dev.nest.common;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request rate written {@code <count>/<unit>}: {@code 100/s} (per second) or {@code 600/m} (per minute). Used by
 * the rate limits of functions ({@code limits.rate}), namespaces and tokens.
 *
 * @param count how many requests per {@code unit}, 1 to {@value #MAX_COUNT}
 * @param unit  {@code s} or {@code m}
 */
public record Rate(long count, Unit unit) {
    public static final long MAX_COUNT = 10_000_000;
    public static final String ALLOWED = "a whole number of requests from 1 to " + MAX_COUNT
            + " per second or per minute, written like 100/s or 600/m";
    private static final Pattern FORM = Pattern.compile("\\s*(\\d{1,12})\\s*/\\s*([a-z]+)\\s*");

    /** The time a rate is counted over. */
    public enum Unit {
        SECOND("s", 1_000_000_000L), MINUTE("m", 60_000_000_000L);

        private final String key;
        private final long nanos;

        Unit(String key, long nanos) {
            this.key = key;
            this.nanos = nanos;
        }

        public String key() {
            return key;
        }

        public long nanos() {
            return nanos;
        }
    }

    public Rate {
        if (unit == null) {
            throw new IllegalArgumentException("a rate needs a unit (s or m)");
        }
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("'" + count + "/" + unit.key + "' is not a rate; expected " + ALLOWED);
        }
    }

    /**
     * Reads {@code 100/s} or {@code 600/m}.
     *
     * @throws IllegalArgumentException naming the text and the allowed form
     */
    public static Rate parse(String text) {
        Matcher m = text == null ? null : FORM.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a rate; expected " + ALLOWED);
        }
        Unit unit = switch (m.group(2)) {
            case "s" -> Unit.SECOND;
            case "m" -> Unit.MINUTE;
            default -> throw new IllegalArgumentException("'" + text + "' has the unit '/" + m.group(2)
                    + "'; the unit is /s (per second) or /m (per minute)");
        };
        long count = Long.parseLong(m.group(1));
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("'" + text + "' is not a rate; expected " + ALLOWED);
        }
        return new Rate(count, unit);
    }

    /** Requests per second. */
    public double perSecond() {
        return count * 1e9 / unit.nanos;
    }

    /** The nanoseconds between two requests at this rate (at least 1). */
    public double nanosPerRequest() {
        return (double) unit.nanos / count;
    }

    /** The form {@link #parse} reads, e.g. {@code 100/s}. */
    @Override
    public String toString() {
        return count + "/" + unit.key;
    }
}
