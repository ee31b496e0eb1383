package dev.nest.alert;

import java.time.Instant;
import java.util.Optional;

/**
 * The state machine of one rule, a pure function: above the threshold an {@code ok} or {@code resolved} rule fires
 * (one message); a firing rule stays firing without another message while it stays above; at or below the threshold a
 * firing rule resolves (one message). A value that could not be observed changes nothing.
 */
public final class AlertJudgement {
    private AlertJudgement() {
    }

    /** What to send after a judgement. */
    public enum Send { NOTHING, FIRING, RESOLVED }

    /**
     * @param next the rule's status after this judgement (the previous one when nothing changed)
     * @param send the message it calls for
     */
    public record Step(AlertStatus next, Send send) {
    }

    /**
     * @param previous  the rule's status so far
     * @param observed  the value now; empty when it could not be observed
     * @param threshold the rule's threshold (the value must exceed it to fire)
     * @param detail    what the value was about
     * @param now       the time of the judgement
     */
    public static Step judge(AlertStatus previous, Optional<Double> observed, double threshold, String detail,
                             Instant now) {
        if (observed.isEmpty() || observed.get().isNaN()) {
            return new Step(previous, Send.NOTHING);
        }
        boolean above = observed.get() > threshold;
        return switch (previous.state()) {
            case OK, RESOLVED -> above
                    ? new Step(new AlertStatus(previous.name(), AlertState.FIRING, now, observed, detail), Send.FIRING)
                    : new Step(previous, Send.NOTHING);
            case FIRING -> above
                    ? new Step(previous, Send.NOTHING)
                    : new Step(new AlertStatus(previous.name(), AlertState.RESOLVED, now, observed, detail),
                    Send.RESOLVED);
        };
    }
}
