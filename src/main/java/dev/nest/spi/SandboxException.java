package dev.nest.spi;

/** A pod could not be created, started or stopped; the message names what failed and what to do. */
public class SandboxException extends RuntimeException {
    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
