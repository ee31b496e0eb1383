package dev.nest.cli;

/** A failure the CLI reports as one line on stderr with exit code 1. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }
}
