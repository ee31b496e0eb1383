package dev.nest.sidecar;

import dev.nest.common.ErrorResponse;
import dev.nest.common.NestException;
import java.util.OptionalInt;

/**
 * An invocation could not be served: queue full (429), no instance in time or node stopping or full (503), load
 * failure (502). A 429 or 503 from the node agent carries an estimate of when a retry may succeed
 * ({@link #retryAfterSeconds}, see {@code InstanceSet#retryAfterSeconds}), which the gateway sends as
 * {@code Retry-After}.
 */
public final class InvokeException extends NestException implements ErrorResponse.RetryHint {
    private final OptionalInt retryAfterSeconds;

    public InvokeException(int status, String error, String detail) {
        this(status, error, detail, null, OptionalInt.empty());
    }

    public InvokeException(int status, String error, String detail, Throwable cause) {
        this(status, error, detail, cause, OptionalInt.empty());
    }

    private InvokeException(int status, String error, String detail, Throwable cause, OptionalInt retryAfterSeconds) {
        super(status, error, detail, cause);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** The same failure with a retry estimate (bounded to 1..60 s). */
    public InvokeException withRetryAfter(int seconds) {
        return new InvokeException(status(), error(), detail(), getCause(),
                OptionalInt.of(ErrorResponse.clampRetryAfter(seconds)));
    }

    @Override
    public OptionalInt retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
