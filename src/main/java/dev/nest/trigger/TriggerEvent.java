package dev.nest.trigger;

import java.util.List;
import java.util.Optional;

/**
 * An event a source hands to the invocation path: what the function receives as the body of a POST to its root.
 *
 * @param contentType    the body's media type
 * @param body           the body
 * @param headers        more request headers, name, value, name, value, ... ({@code ce-*}, {@code traceparent} ...)
 * @param idempotencyKey for async: an event with a key seen before (24 h, on the node that enqueues) is not enqueued
 *                       again; sources use it to make a retried hand-over harmless
 */
public record TriggerEvent(String contentType, byte[] body, List<String> headers, Optional<String> idempotencyKey) {
    public TriggerEvent {
        headers = List.copyOf(headers);
        if (headers.size() % 2 != 0) {
            throw new IllegalArgumentException("headers alternate names and values");
        }
    }
}
