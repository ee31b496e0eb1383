package dev.nest.async;

/**
 * The answer to an enqueue, once it is durable.
 *
 * @param id        the invocation id: the new event's, or the first one's for a repeated idempotency key
 * @param duplicate whether an earlier event with the same idempotency key was found (nothing was enqueued)
 */
public record Enqueued(String id, boolean duplicate) {
}
