package dev.nest.limits;

import java.time.Instant;
import java.util.List;

/**
 * A function's circuit breaker on this node, as the API and the metrics show it.
 *
 * @param function    {@code namespace/name}
 * @param state       its state now
 * @param since       when it entered that state
 * @param calls       calls in the window (closed) or probes answered (half-open)
 * @param failures    failed calls among them
 * @param slow        calls slower than the latency threshold among them
 * @param fallbacks   callers served the fallback (or refused for want of one) since the node started
 * @param opened      how often it opened since the node started
 * @param transitions the last state changes, newest first (at most {@value Breaker#HISTORY})
 */
public record DegradeStatus(String function, BreakerState state, Instant since, long calls, long failures, long slow,
                            long fallbacks, long opened, List<Transition> transitions) {
    public DegradeStatus {
        transitions = List.copyOf(transitions);
    }
}
