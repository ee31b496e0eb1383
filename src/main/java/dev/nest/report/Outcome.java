package dev.nest.report;

import dev.nest.store.InvocationRecord;

/** How the report counts one invocation record: a pure classification. */
enum Outcome {
    OK,
    /** a server error (5xx) or an error the function raised ({@code x-nest-error}) */
    ERROR,
    /** refused before any instance served it with 429 or 503: a rate limit, a full queue, an open breaker */
    THROTTLE;

    static Outcome of(InvocationRecord r) {
        boolean reached = !r.instance().isEmpty();
        if (!reached && (r.status() == 429 || r.status() == 503)) {
            return THROTTLE;
        }
        if (r.status() >= 500 || (reached && !r.error().isEmpty())) {
            return ERROR;
        }
        return OK;
    }
}
