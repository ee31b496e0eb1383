package dev.nest.function;

import java.time.Duration;

/**
 * How many instances a function may have.
 *
 * @param min       instances always kept running (reserved), 0 allows scale to zero
 * @param max       upper bound of instances across the cluster
 * @param keepAlive how long an idle instance above {@code min} is kept before it is stopped
 */
public record ScalingSpec(int min, int max, Duration keepAlive) {
    public static final ScalingSpec DEFAULT = new ScalingSpec(0, 10, Duration.ofMinutes(10));
}
