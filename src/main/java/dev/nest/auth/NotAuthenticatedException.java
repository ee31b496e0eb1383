package dev.nest.auth;

import dev.nest.common.NestException;

/** 401: the request carries no token, or one that is malformed, unknown, revoked or expired. */
public final class NotAuthenticatedException extends NestException {
    public NotAuthenticatedException(String detail) {
        super(401, "unauthorized", detail);
    }
}
