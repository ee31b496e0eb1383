package dev.nest.limits;

import java.time.Instant;

/**
 * One change of a circuit breaker's state.
 *
 * @param at     when (this node's clock)
 * @param from   the state before
 * @param to     the state after
 * @param reason why, in words (the window's counts that opened it, the probe that failed, ...)
 */
public record Transition(Instant at, BreakerState from, BreakerState to, String reason) {
}
