package dev.nest.trigger;

import java.util.List;
import java.util.Objects;

/**
 * What a stop of an invocation by id came to (a cron trigger's {@code concurrency: replace}, or the peer stop route).
 *
 * @param outcome what happened
 * @param detail  why, for logs and the trigger's status (never empty)
 */
public record StopResult(Outcome outcome, String detail) {
    public StopResult {
        Objects.requireNonNull(outcome);
        Objects.requireNonNull(detail);
    }

    /** What happened to the invocation. */
    public enum Outcome {
        /** It waited or ran and is now cancelled: withdrawn, or its caller answered 409 and its instance stopping. */
        STOPPED,
        /** It had ended already (succeeded, failed, dead or cancelled): nothing was done. */
        FINISHED,
        /** No node asked knows it (never made, expired from the ledgers, or its node is gone). */
        UNKNOWN,
        /** It waits or runs, and could not be stopped (for example a queue back end that cannot cancel it). */
        NOT_STOPPED,
        /** The node that holds it could not be asked (down, unreachable, or it refused this node's credential). */
        UNREACHABLE;

        /** Whether the invocation no longer runs: a following run does not overlap it. */
        public boolean over() {
            return this == STOPPED || this == FINISHED || this == UNKNOWN;
        }
    }

    public static StopResult of(Outcome outcome, String detail) {
        return new StopResult(outcome, detail);
    }

    /**
     * The result of asking several nodes about one invocation (at most one runs it): stopped if any stopped it; else
     * not stopped or unreachable if any said so (it may run there, so it must be taken as running); else finished if
     * any knew it ended; else unknown. An empty list is unknown.
     */
    public static StopResult combine(List<StopResult> answers) {
        for (Outcome o : List.of(Outcome.STOPPED, Outcome.NOT_STOPPED, Outcome.UNREACHABLE, Outcome.FINISHED)) {
            for (StopResult r : answers) {
                if (r.outcome() == o) {
                    return r;
                }
            }
        }
        return answers.isEmpty() ? of(Outcome.UNKNOWN, "no node was asked") : answers.get(0);
    }
}
