package dev.nest.artifact;

import dev.nest.common.NestException;

/** A package that cannot be accepted (400) or a storage failure (500); the detail says which and why. */
public final class ArtifactException extends NestException {
    public ArtifactException(int status, String detail) {
        super(status, status == 400 ? "invalid package" : "artifact store error", detail);
    }

    public ArtifactException(int status, String detail, Throwable cause) {
        super(status, status == 400 ? "invalid package" : "artifact store error", detail, cause);
    }
}
