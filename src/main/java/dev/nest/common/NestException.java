package dev.nest.common;

/**
 * Base of Nest's unchecked exceptions. Each carries the HTTP status it maps to, a short
 * {@link #error()} and a {@link #detail()} that tells the user what to change.
 * The API module turns these into {@code {"error": ..., "detail": ...}} in one place.
 */
public class NestException extends RuntimeException {
    private final int status;
    private final String error;

    public NestException(int status, String error, String detail) {
        super(detail);
        this.status = status;
        this.error = error;
    }

    public NestException(int status, String error, String detail, Throwable cause) {
        super(detail, cause);
        this.status = status;
        this.error = error;
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }

    public String detail() {
        return getMessage();
    }

    public static NestException badRequest(String detail) {
        return new NestException(400, "bad request", detail);
    }

    public static NestException notFound(String what, String detail) {
        return new NestException(404, what + " not found", detail);
    }

    public static NestException conflict(String detail) {
        return new NestException(409, "conflict", detail);
    }

    public static NestException unavailable(String error, String detail) {
        return new NestException(503, error, detail);
    }
}
