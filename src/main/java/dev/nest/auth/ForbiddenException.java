package dev.nest.auth;

import dev.nest.common.NestException;

/** 403: the token is valid but its role or namespaces do not cover what the request does. */
public final class ForbiddenException extends NestException {
    public ForbiddenException(String detail) {
        super(403, "forbidden", detail);
    }
}
