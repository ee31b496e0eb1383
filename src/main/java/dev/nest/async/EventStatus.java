package dev.nest.async;

import java.time.Instant;
import java.util.Optional;

/**
 * What the ledger shows of one asynchronous invocation.
 *
 * @param id          invocation id
 * @param function    {@code namespace/name}
 * @param state       where it is
 * @param attempt     attempts made
 * @param enqueuedAt  when it was accepted
 * @param nextTryAt   for a queued or retrying one, when it is due
 * @param status      the HTTP status of the last attempt (0: none answered)
 * @param durationMs  the last attempt's duration
 * @param lastError   the last attempt's error, empty if none
 * @param result      the successful answer's body, at most {@link EventQueue#MAX_RESULT} bytes
 * @param finishedAt  when it reached a final state
 */
public record EventStatus(String id, String function, EventState state, int attempt, Instant enqueuedAt,
                          Optional<Instant> nextTryAt, int status, long durationMs, String lastError,
                          Optional<byte[]> result, Optional<Instant> finishedAt) {
}
