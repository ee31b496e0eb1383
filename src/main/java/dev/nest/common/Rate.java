package dev.nest.common;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request rate written {@code <count>/<unit>}: {@code 100/s} (per second), {@code 600/m} (per minute) or
 * {@code 1000/h} (per hour), a whole count. The one form of every rate limit in Nest: functions ({@code limits.rate}
 * in a spec), namespaces ({@code limits.rate} in their settings) and tokens ({@code rate}).
 *
 * <p>Each limit is a token bucket that refills at the rate and holds its burst; where no burst is given it is
 * {@link #defaultBurst()}: the rate's count (100 for {@code 100/s}, 600 for {@code 600/m}), at most
 * {@value #MAX_BURST}.
 *
 * @param count how many requests per {@code unit}, 1 to {@value #MAX_COUNT}
 * @param unit  {@code s}, {@code m} or {@code h}
 */
public record Rate(long count, Unit unit) {
    public static final long MAX_COUNT = 10_000_000;
    /** The largest burst of any rate limit. */
    public static final int MAX_BURST = 1_000_000;
    public static final String ALLOWED = "a whole number of requests from 1 to " + MAX_COUNT
            + " per second, minute or hour, written like 100/s, 600/m or 1000/h";
    /** What a burst may be, for error messages. */
    public static final String BURST_ALLOWED = "a whole number of requests from 1 to " + MAX_BURST
            + " that may arrive at once (default: the rate's count)";
    private static final Pattern FORM = Pattern.compile("\\s*(\\d{1,12})\\s*/\\s*([a-z]+)\\s*");

    /** The time a rate is counted over. */
    public enum Unit {
        SECOND("s", 1_000_000_000L), MINUTE("m", 60_000_000_000L), HOUR("h", 3_600_000_000_000L);

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
            throw new IllegalArgumentException("a rate needs a unit (s, m or h)");
        }
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("'" + count + "/" + unit.key + "' is not a rate; expected " + ALLOWED);
        }
    }

    /**
     * Reads {@code 100/s}, {@code 600/m} or {@code 1000/h}.
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
            case "h" -> Unit.HOUR;
            default -> throw new IllegalArgumentException("'" + text + "' has the unit '/" + m.group(2)
                    + "'; the unit is /s (per second), /m (per minute) or /h (per hour)");
        };
        long count = Long.parseLong(m.group(1));
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("'" + text + "' is not a rate; expected " + ALLOWED);
        }
        return new Rate(count, unit);
    }

    /**
     * Reads the value of {@code key}, with a message in the form of every config and settings error.
     *
     * @throws IllegalArgumentException "key 'K': value 'V' is not valid; allowed: ..." (and why, when the unit is wrong)
     */
    public static Rate parse(String key, String text) {
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key '" + key + "': value '" + text + "' is not valid; allowed: "
                    + ALLOWED, e);
        }
    }

    /** Requests per second. */
    public double perSecond() {
        return count * 1e9 / unit.nanos;
    }

    /** The nanoseconds between two requests at this rate (at least 1). */
    public double nanosPerRequest() {
        return (double) unit.nanos / count;
    }

    /** The burst of a limit at this rate when none is given: the count, at most {@value #MAX_BURST}. */
    public int defaultBurst() {
        return (int) Math.min(MAX_BURST, count);
    }

    /** The form {@link #parse} reads, e.g. {@code 100/s}. */
    @Override
    public String toString() {
        return count + "/" + unit.key;
    }
}
