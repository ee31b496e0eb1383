package dev.nest.scaler;

import java.time.Instant;
import java.util.Optional;

/**
 * The scaler's answer for one function at one moment.
 *
 * @param desired  instances the function should have
 * @param previous instances it had (the metrics' count) when the decision was made
 * @param reason   why, in words: the metric values, windows and the rule that decided
 * @param rule     the rule that settled the count
 * @param state    to pass to the next decision for this function
 * @param wakeAt   the latest time the scaler should decide again even if nothing changes (a pending
 *                 scale-down, pre-warm or keep-alive expiry); empty when only new traffic can change the answer
 */
public record Decision(int desired, int previous, String reason, ScalingRule rule, ScalerState state,
                       Optional<Instant> wakeAt) {
    /** True when the decision changes the instance count. */
    public boolean changes() {
        return desired != previous;
    }
}
