package dev.nest.config;

import dev.nest.common.NestException;

/** A configuration mistake; the message names the file, the key, the value and the allowed range. */
public final class ConfigException extends NestException {
    public ConfigException(String detail) {
        super(400, "invalid configuration", detail);
    }

    public ConfigException(String detail, Throwable cause) {
        super(400, "invalid configuration", detail, cause);
    }
}
