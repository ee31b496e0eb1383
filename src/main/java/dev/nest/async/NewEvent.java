package dev.nest.async;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An invocation to enqueue: the request as the caller sent it.
 *
 * @param id             the invocation id ({@link dev.nest.common.InvocationIds})
 * @param function       {@code namespace/name}
 * @param method         HTTP method
 * @param path           the path after the function's name ({@code /} at least)
 * @param query          the query string without {@code ?}, may be empty
 * @param headers        name, value, name, value, ... as sent (hop-by-hop headers removed); carries
 *                       {@code traceparent}
 * @param body           the request body
 * @param idempotencyKey the caller's {@code Idempotency-Key}, if any
 * @param enqueuedAt     when it was accepted
 */
public record NewEvent(String id, String function, String method, String path, String query, List<String> headers,
                       byte[] body, Optional<String> idempotencyKey, Instant enqueuedAt) {
    public NewEvent {
        headers = List.copyOf(headers);
    }
}
