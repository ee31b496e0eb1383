package dev.nest.auth;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides when a node records a token's use: at most once per {@link #interval()} per token (a minute by default),
 * so that a busy token costs one write a minute per node, not one per request. Thread-safe; no I/O.
 */
public final class LastUsedThrottle {
    public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(1);

    private final Duration interval;
    private final Map<String, Instant> recorded = new ConcurrentHashMap<>();

    public LastUsedThrottle() {
        this(DEFAULT_INTERVAL);
    }

    public LastUsedThrottle(Duration interval) {
        if (interval.isNegative()) {
            throw new IllegalArgumentException("interval " + interval + " is negative");
        }
        this.interval = interval;
    }

    public Duration interval() {
        return interval;
    }

    /**
     * Whether a use of {@code token} at {@code now} should be recorded; when it says yes it counts the use as
     * recorded, so that concurrent callers get one yes.
     */
    public boolean due(String token, Instant now) {
        Instant seen = recorded.get(token);
        if (seen != null && now.isBefore(seen.plus(interval))) {
            return false; // the common case, without the lock compute takes (every call of a token passes here)
        }
        boolean[] due = {false};
        recorded.compute(token, (name, last) -> {
            if (last == null || !now.isBefore(last.plus(interval))) {
                due[0] = true;
                return now;
            }
            return last;
        });
        return due[0];
    }

    /** Forgets a revoked token. */
    public void forget(String token) {
        recorded.remove(token);
    }
}
