package dev.nest.sidecar;

import dev.nest.common.NestException;

/** An invocation could not be served: queue full (429), no instance in time (503), load failure (502). */
public final class InvokeException extends NestException {
    public InvokeException(int status, String error, String detail) {
        super(status, error, detail);
    }

    public InvokeException(int status, String error, String detail, Throwable cause) {
        super(status, error, detail, cause);
    }
}
