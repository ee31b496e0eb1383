package dev.nest.namespace;

import dev.nest.common.Rate;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How fast a namespace's functions may be invoked, as a token bucket: {@code rate} ({@code limits.rate}, the form of
 * every rate in Nest, {@link Rate}: {@code 100/s}, {@code 600/m}, {@code 1000/h}) with at most {@code burst}
 * ({@code limits.burst}) saved up. Nest stores and validates it; the gateway's admission enforces it.
 *
 * @param rate  the sustained rate
 * @param burst invocations that may arrive at once, 1 to {@value Rate#MAX_BURST}; by default the rate's count
 *              ({@link Rate#defaultBurst()}), as in a function spec
 */
public record NamespaceRate(Rate rate, int burst) {
    /**
     * The form an earlier release stored: requests per second in plain decimal digits ({@code "0.5/s"}). Read only
     * from stored settings, never from a request.
     */
    private static final Pattern STORED_DECIMAL = Pattern.compile("(\\d{1,12})\\.(\\d{1,30})/s");
    /** How near a stored decimal must come to a whole count per minute or hour (it was printed from a double). */
    private static final BigDecimal TOLERANCE = new BigDecimal("1e-9");

    public NamespaceRate {
        if (rate == null) {
            throw new IllegalArgumentException("key 'limits.rate': a namespace's rate limit needs a rate; allowed: "
                    + Rate.ALLOWED);
        }
        if (burst < 1 || burst > Rate.MAX_BURST) {
            throw new IllegalArgumentException("key 'limits.burst': value " + burst + " is not valid; allowed: "
                    + Rate.BURST_ALLOWED);
        }
    }

    /** {@code rate} with its default burst ({@link Rate#defaultBurst()}). */
    public static NamespaceRate of(Rate rate) {
        return new NamespaceRate(rate, rate.defaultBurst());
    }

    /**
     * Parses {@code limits.rate} ({@link Rate#ALLOWED}); a missing burst is the rate's default
     * ({@link Rate#defaultBurst()}).
     *
     * @throws IllegalArgumentException naming the key, the value and the allowed form
     */
    public static NamespaceRate parse(String rate, OptionalInt burst) {
        Rate r = Rate.parse(NamespaceSettings.LIMITS_RATE, rate);
        return new NamespaceRate(r, burst.isPresent() ? burst.getAsInt() : r.defaultBurst());
    }

    /**
     * A rate an earlier release stored as decimal requests per second ({@code "0.5/s"}) as the whole count per
     * minute or per hour it equals ({@code 30/m}); empty when {@code text} is not that form or equals no whole count
     * per hour (such a rate cannot be written any more and has to be set again).
     */
    static Optional<Rate> fromStoredDecimal(String text) {
        Matcher m = text == null ? null : STORED_DECIMAL.matcher(text.strip());
        if (m == null || !m.matches()) {
            return Optional.empty();
        }
        BigDecimal perSecond = new BigDecimal(m.group(1) + "." + m.group(2));
        for (Rate.Unit unit : new Rate.Unit[] {Rate.Unit.SECOND, Rate.Unit.MINUTE, Rate.Unit.HOUR}) {
            BigDecimal count = perSecond.multiply(BigDecimal.valueOf(unit.nanos() / 1_000_000_000L));
            BigDecimal whole = count.setScale(0, RoundingMode.HALF_UP);
            if (whole.signum() > 0 && whole.compareTo(BigDecimal.valueOf(Rate.MAX_COUNT)) <= 0
                    && count.subtract(whole).abs().compareTo(TOLERANCE.multiply(whole)) <= 0) {
                return Optional.of(new Rate(whole.longValueExact(), unit));
            }
        }
        return Optional.empty();
    }
}
