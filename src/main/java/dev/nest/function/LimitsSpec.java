package dev.nest.function;

import dev.nest.common.Rate;
import java.util.Optional;

/**
 * A function's rate limit (the spec's {@code limits:} block): a token bucket that refills at {@code rate} and holds
 * at most {@code burst} requests. In a cluster every gateway enforces its share (the limit divided by the live
 * gateways); over it the gateway answers 429 with {@code Retry-After}.
 *
 * @param rate  the sustained rate ({@code limits.rate}, e.g. {@code 100/s}); empty for no limit
 * @param burst the requests that may arrive at once after a quiet spell ({@code limits.burst}), 1 to
 *              {@value #MAX_BURST}; by default the rate's count ({@link Rate#defaultBurst()}: 100 for {@code 100/s}); 0 when
 *              there is no rate
 */
public record LimitsSpec(Optional<Rate> rate, int burst) {
    public static final int MAX_BURST = Rate.MAX_BURST;
    /** No limit. */
    public static final LimitsSpec NONE = new LimitsSpec(Optional.empty(), 0);

    public LimitsSpec {
        rate = rate == null ? Optional.empty() : rate;
        if (rate.isEmpty() && burst != 0) {
            throw new IllegalArgumentException("a burst needs a rate");
        }
        if (rate.isPresent() && (burst < 1 || burst > MAX_BURST)) {
            throw new IllegalArgumentException("burst " + burst + " is not from 1 to " + MAX_BURST);
        }
    }

    /** A limit of {@code rate} with the default burst (the rate's count, at most {@value #MAX_BURST}). */
    public static LimitsSpec of(Rate rate) {
        return new LimitsSpec(Optional.of(rate), defaultBurst(rate));
    }

    static int defaultBurst(Rate rate) {
        return rate.defaultBurst();
    }
}
