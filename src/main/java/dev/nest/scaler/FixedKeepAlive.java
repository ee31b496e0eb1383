package dev.nest.scaler;

import dev.nest.common.Durations;
import java.time.Duration;

/**
 * Keeps an idle instance for a fixed time after the last request ends, whatever the function's history
 * (AWS Lambda keeps about 10 minutes, Azure Functions 20).
 *
 * @param keepAlive how long the instance stays after the function became idle
 */
public record FixedKeepAlive(Duration keepAlive) implements KeepAlivePolicy {
    public FixedKeepAlive {
        if (keepAlive == null || keepAlive.isNegative()) {
            throw new IllegalArgumentException("keep-alive must be zero or positive, was " + keepAlive);
        }
    }

    @Override
    public KeepAliveWindow window(IdleHistogram idleTimes) {
        return new KeepAliveWindow(Duration.ZERO, keepAlive, "fixed keep-alive " + Durations.format(keepAlive));
    }

    @Override
    public String key() {
        return "fixed";
    }
}
