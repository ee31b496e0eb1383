package dev.nest.async;

/**
 * The outcome of one delivery attempt as the ledger keeps it.
 *
 * @param status     HTTP status of the answer, 0 when none came
 * @param durationMs how long the attempt took
 * @param body       the answer's body (kept up to {@link EventQueue#MAX_RESULT} bytes for successes)
 * @param error      what went wrong, empty on success
 */
public record Result(int status, long durationMs, byte[] body, String error) {
    static Result error(int status, long durationMs, String error) {
        return new Result(status, durationMs, new byte[0], error);
    }
}
