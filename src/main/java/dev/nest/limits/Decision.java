package dev.nest.limits;

import dev.nest.common.ErrorResponse;
import dev.nest.function.DegradeSpec;

/** What {@link Admission#admit} decided for one invocation. */
public sealed interface Decision {
    /** The call may go on to an instance. */
    Decision ADMIT = new Admit();

    /** Go on. */
    record Admit() implements Decision {
    }

    /**
     * Refuse it with {@code error} (a 429 over a rate limit, a 503 from an open breaker without a fallback), which
     * carries {@code retryAfterSeconds}.
     */
    record Refuse(ErrorResponse error) implements Decision {
    }

    /**
     * The function's breaker is open: serve {@code fallback} instead (a fixed answer, or another function of the
     * namespace).
     *
     * @param fallback          what to serve
     * @param retryAfterSeconds when the breaker will let a call through again
     */
    record Degrade(DegradeSpec.Fallback fallback, int retryAfterSeconds) implements Decision {
    }
}
