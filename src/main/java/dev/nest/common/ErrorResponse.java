package dev.nest.common;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The one mapping from a failure to what a client sees: an HTTP status and the JSON body
 * {@code {"error": ..., "detail": ...}} (plus {@code invocationId} when an invocation was recorded, and
 * {@code retryAfterSeconds} when the client should come back later). The admin API ({@code api.Errors}) and the
 * gateway both answer through it, so every error of the node has one shape. A response with
 * {@code retryAfterSeconds} is sent with the same value in its {@code Retry-After} header ({@link #headers()}).
 *
 * @param status            the HTTP status
 * @param error             a short name of the failure
 * @param detail            what happened and what to change; never null
 * @param invocationId      the invocation the failure belongs to, or null when none was recorded
 * @param retryAfterSeconds when to try again (1..60), for a 429 or 503 that will pass; empty otherwise
 */
public record ErrorResponse(int status, String error, String detail, String invocationId, OptionalInt retryAfterSeconds) {
    /** The bounds of a retry hint, in seconds. */
    public static final int MIN_RETRY_AFTER = 1;
    public static final int MAX_RETRY_AFTER = 60;

    public ErrorResponse {
        detail = detail == null ? "" : detail;
        retryAfterSeconds = retryAfterSeconds == null ? OptionalInt.empty() : retryAfterSeconds;
        if (retryAfterSeconds.isPresent()) {
            retryAfterSeconds = OptionalInt.of(clampRetryAfter(retryAfterSeconds.getAsInt()));
        }
    }

    public ErrorResponse(int status, String error, String detail, String invocationId) {
        this(status, error, detail, invocationId, OptionalInt.empty());
    }

    public ErrorResponse(int status, String error, String detail) {
        this(status, error, detail, null, OptionalInt.empty());
    }

    /** A failure that says when to try again: implemented by exceptions that carry an estimate. */
    public interface RetryHint {
        /** Seconds until a retry may succeed, or empty when unknown. */
        OptionalInt retryAfterSeconds();
    }

    /** {@code seconds} bounded to {@value #MIN_RETRY_AFTER}..{@value #MAX_RETRY_AFTER}. */
    public static int clampRetryAfter(long seconds) {
        return (int) Math.max(MIN_RETRY_AFTER, Math.min(MAX_RETRY_AFTER, seconds));
    }

    /**
     * A {@link NestException} keeps its status (and its retry hint when it is a {@link RetryHint}); an
     * {@link IllegalArgumentException} is the caller's mistake (400); anything else is a 500.
     */
    public static ErrorResponse of(Throwable t) {
        if (t instanceof NestException ne) {
            OptionalInt hint = ne instanceof RetryHint h ? h.retryAfterSeconds() : OptionalInt.empty();
            return new ErrorResponse(ne.status(), ne.error(), ne.detail(), null, hint);
        }
        if (t instanceof IllegalArgumentException) {
            return new ErrorResponse(400, "bad request", t.getMessage());
        }
        return new ErrorResponse(500, "internal error", t.toString());
    }

    /** The same failure, for the given invocation. */
    public ErrorResponse withInvocation(String id) {
        return new ErrorResponse(status, error, detail, id, retryAfterSeconds);
    }

    /** The same failure, telling the client to come back in {@code seconds} (bounded to 1..60). */
    public ErrorResponse withRetryAfter(int seconds) {
        return new ErrorResponse(status, error, detail, invocationId, OptionalInt.of(seconds));
    }

    /** The headers that go with the body (names and values alternating): {@code retry-after} when there is a hint. */
    public List<String> headers() {
        return retryAfterSeconds.isPresent() ? List.of("retry-after", Integer.toString(retryAfterSeconds.getAsInt()))
                : List.of();
    }

    /** The JSON body. */
    public byte[] body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("detail", detail);
        if (invocationId != null) {
            body.put("invocationId", invocationId);
        }
        if (retryAfterSeconds.isPresent()) {
            body.put("retryAfterSeconds", retryAfterSeconds.getAsInt());
        }
        return Json.bytes(body);
    }
}
