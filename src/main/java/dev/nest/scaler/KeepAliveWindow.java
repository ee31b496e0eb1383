package dev.nest.scaler;

import java.time.Duration;

/**
 * When an idle function should have a warm instance, measured from the moment it became idle: warm in
 * {@code [warmFrom, warmUntil)}, cold (no instance kept for it) before and after. {@code warmFrom} zero means
 * "keep the instance after the last request"; a positive {@code warmFrom} means "unload, then pre-warm".
 *
 * @param reason which rule chose the window and why, for the decision's reason
 */
public record KeepAliveWindow(Duration warmFrom, Duration warmUntil, String reason) {
    public KeepAliveWindow {
        if (warmFrom.isNegative() || warmUntil.compareTo(warmFrom) < 0) {
            throw new IllegalArgumentException("keep-alive window [" + warmFrom + ", " + warmUntil + ") is empty or negative");
        }
    }

    /** True when a function idle for {@code idleFor} should have a warm instance. */
    public boolean warmAt(Duration idleFor) {
        return idleFor.compareTo(warmFrom) >= 0 && idleFor.compareTo(warmUntil) < 0;
    }
}
