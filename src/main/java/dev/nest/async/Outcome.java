package dev.nest.async;

/** What one delivery attempt came to, as an {@link Invoker} reports it. */
public sealed interface Outcome {
    /** The function (or Nest on its behalf: 502, 504) answered. */
    record Answered(int status, long durationMs, byte[] body) implements Outcome {
    }

    /** Nest's own admission refused to start it (429 queue full, 503 no instance): retried without an attempt. */
    record Refused(int status, String reason) implements Outcome {
    }

    /** No answer came (connection refused, timed out). */
    record Unreachable(long durationMs, String error) implements Outcome {
    }
}
