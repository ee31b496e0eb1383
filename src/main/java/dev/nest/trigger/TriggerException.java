package dev.nest.trigger;

import dev.nest.common.NestException;

/** A trigger's event was refused, or a trigger cannot run; keeps its cause. */
public final class TriggerException extends NestException {
    public TriggerException(int status, String error, String detail, Throwable cause) {
        super(status, error, detail, cause);
    }
}
