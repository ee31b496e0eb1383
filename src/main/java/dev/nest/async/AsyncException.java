package dev.nest.async;

import dev.nest.common.NestException;

/** A failure of the async module, with the HTTP status and JSON error it maps to; keeps its cause. */
public final class AsyncException extends NestException {
    public AsyncException(int status, String error, String detail) {
        super(status, error, detail);
    }

    public AsyncException(int status, String error, String detail, Throwable cause) {
        super(status, error, detail, cause);
    }
}
