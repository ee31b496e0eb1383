package dev.nest.limits;

import dev.nest.common.Rate;
import java.util.Optional;

/**
 * The authenticated caller of an invocation, as far as rate limits care: the token's name and its own rate (the
 * {@code rate} it was created with), if it has one.
 *
 * @param token the token's name
 * @param rate  the token's limit; empty for none
 */
public record Caller(String token, Optional<Rate> rate) {
    public Caller {
        java.util.Objects.requireNonNull(token, "token");
        rate = rate == null ? Optional.empty() : rate;
    }
}
