package dev.nest.function;

import java.time.Duration;

/**
 * The bounded per-function queue a request waits in when no instance is free.
 *
 * @param size    requests that may wait at once; more are refused with 429
 * @param timeout longest wait for an instance before the request fails with 503
 */
public record QueueSpec(int size, Duration timeout) {
    public static final QueueSpec DEFAULT = new QueueSpec(1000, Duration.ofSeconds(30));
}
