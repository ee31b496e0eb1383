package dev.nest.function;

import java.time.Duration;
import java.util.Optional;

/**
 * How asynchronous invocations of a function are delivered (the spec's {@code async:} block).
 *
 * @param retries     attempts after the first one when the function fails, 0 to 10 (default 2)
 * @param maxAge      longest an event may wait for a successful delivery, 60 s to 6 h (default 6 h); older ones
 *                    are dead
 * @param concurrency the most instances async work may hold at once on one node; 0 (the default) means half of
 *                    {@code scaling.max}, at least 1 (see {@link #concurrency(ScalingSpec)}), so that queued
 *                    events never take every instance from synchronous traffic
 * @param onSuccess   the function (a name in the same namespace) or the HTTP(S) URL (on the node's
 *                    {@code async.destinations.allow}) that gets a record of each success
 * @param onFailure   the function or URL that gets a record of each event that finally failed
 */
public record AsyncSpec(int retries, Duration maxAge, int concurrency, Optional<String> onSuccess,
                        Optional<String> onFailure) {
    public static final int MAX_RETRIES = 10;
    public static final Duration MIN_MAX_AGE = Duration.ofSeconds(60);
    public static final Duration MAX_MAX_AGE = Duration.ofHours(6);
    public static final AsyncSpec DEFAULT = new AsyncSpec(2, MAX_MAX_AGE, 0, Optional.empty(), Optional.empty());

    /** Whether a destination is an HTTP(S) URL rather than a function name. */
    public static boolean isUrl(String destination) {
        return destination.startsWith("http://") || destination.startsWith("https://");
    }

    /** The concurrency cap in effect: the configured one, or half of the scaling maximum (at least 1). */
    public int concurrency(ScalingSpec scaling) {
        return concurrency > 0 ? concurrency : Math.max(1, scaling.max() / 2);
    }
}
