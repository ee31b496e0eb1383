package dev.nest.scaler;

import java.time.Instant;
import java.util.Optional;

/**
 * What the scaler remembers about one function between decisions: the count it last chose and how long a
 * lower count has held. Immutable; start with {@link #initial()} and pass each {@link Decision#state()} to the
 * next decision.
 *
 * @param desired  the count the last decision chose
 * @param lowSince since when the metrics have continuously asked for fewer instances than exist, if they do
 * @param lowMax   the highest count asked for since {@code lowSince}: the count a scale-down goes to
 * @param seen     the instance count the metrics showed at the last decision (a rise restarts the delay)
 */
public record ScalerState(int desired, Optional<Instant> lowSince, int lowMax, int seen) {
    private static final ScalerState INITIAL = new ScalerState(0, Optional.empty(), 0, 0);

    public static ScalerState initial() {
        return INITIAL;
    }
}
