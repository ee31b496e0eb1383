package dev.nest.namespace;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How fast a namespace's functions may be invoked, as a token bucket: {@code perSecond} tokens a second, at most
 * {@code burst} saved up. Nest stores and validates it ({@code limits.rate}, {@code limits.burst}); the gateway's
 * rate limiter enforces it.
 *
 * @param perSecond invocations per second on average, more than 0 and at most {@value #MAX_PER_SECOND}
 * @param burst     invocations that may arrive at once, 1 to {@value #MAX_BURST}
 */
public record NamespaceRate(double perSecond, int burst) {
    public static final double MAX_PER_SECOND = 1_000_000;
    public static final int MAX_BURST = 10_000_000;
    /** The allowed form of {@code limits.rate}, for error messages. */
    public static final String RATE_ALLOWED = "a count per second, minute or hour like \"100/s\", \"600/m\" or "
            + "\"1000/h\" (at most " + (long) MAX_PER_SECOND + "/s)";
    private static final Pattern FORM = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*/\\s*(s|sec|second|m|min|minute|h|hour)\\s*");

    public NamespaceRate {
        if (!(perSecond > 0 && perSecond <= MAX_PER_SECOND)) {
            throw new IllegalArgumentException("key 'limits.rate': value " + perSecond + "/s is not valid; allowed: "
                    + RATE_ALLOWED);
        }
        if (burst < 1 || burst > MAX_BURST) {
            throw new IllegalArgumentException("key 'limits.burst': value " + burst + " is not valid; allowed: a whole "
                    + "number from 1 to " + MAX_BURST);
        }
    }

    /**
     * Parses {@code limits.rate} ({@link #RATE_ALLOWED}); a missing burst is the rate over one second, rounded up.
     *
     * @throws IllegalArgumentException naming the key, the value and the allowed form
     */
    public static NamespaceRate parse(String rate, java.util.OptionalInt burst) {
        double perSecond = perSecond(rate);
        int b = burst.isPresent() ? burst.getAsInt() : (int) Math.max(1, Math.ceil(perSecond));
        return new NamespaceRate(perSecond, b);
    }

    /** The per-second value of a {@code limits.rate} text. */
    static double perSecond(String rate) {
        Matcher m = rate == null ? null : FORM.matcher(rate.toLowerCase(Locale.ROOT));
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("key 'limits.rate': value '" + rate + "' is not valid; allowed: "
                    + RATE_ALLOWED);
        }
        double n = Double.parseDouble(m.group(1));
        double per = switch (m.group(2).charAt(0)) {
            case 'm' -> n / 60;
            case 'h' -> n / 3600;
            default -> n;
        };
        if (!(per > 0 && per <= MAX_PER_SECOND)) {
            throw new IllegalArgumentException("key 'limits.rate': value '" + rate + "' is not valid; allowed: "
                    + RATE_ALLOWED);
        }
        return per;
    }

    /** {@code limits.rate} as text: "100/s", or "0.5/s". */
    public String rateText() {
        // plain digits (never 2.7E-4), exact for the double, so that the stored text parses back to the same rate
        return new java.math.BigDecimal(Double.toString(perSecond)).stripTrailingZeros().toPlainString() + "/s";
    }
}
