package dev.nest.common;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one mapping from a failure to what a client sees: an HTTP status and the JSON body
 * {@code {"error": ..., "detail": ...}} (plus {@code invocationId} when an invocation was recorded). The admin API
 * ({@code api.Errors}) and the gateway both answer through it, so every error of the node has one shape.
 *
 * @param status        the HTTP status
 * @param error         a short name of the failure
 * @param detail        what happened and what to change; never null
 * @param invocationId  the invocation the failure belongs to, or null when none was recorded
 */
public record ErrorResponse(int status, String error, String detail, String invocationId) {
    public ErrorResponse {
        detail = detail == null ? "" : detail;
    }

    public ErrorResponse(int status, String error, String detail) {
        this(status, error, detail, null);
    }

    /**
     * A {@link NestException} keeps its status; an {@link IllegalArgumentException} is the caller's mistake (400);
     * anything else is a 500.
     */
    public static ErrorResponse of(Throwable t) {
        if (t instanceof NestException ne) {
            return new ErrorResponse(ne.status(), ne.error(), ne.detail());
        }
        if (t instanceof IllegalArgumentException) {
            return new ErrorResponse(400, "bad request", t.getMessage());
        }
        return new ErrorResponse(500, "internal error", t.toString());
    }

    /** The same failure, for the given invocation. */
    public ErrorResponse withInvocation(String id) {
        return new ErrorResponse(status, error, detail, id);
    }

    /** The JSON body. */
    public byte[] body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("detail", detail);
        if (invocationId != null) {
            body.put("invocationId", invocationId);
        }
        return Json.bytes(body);
    }
}
