package dev.nest.plugins.kafka;

/**
 * What a share consumer does with a record it holds, as a pure function of the record's state and times (see
 * {@link ShareWorker}): keep holding it, make it ready to lease, send it round (produce a copy, acknowledge the
 * original: no attempt is used), or release it.
 */
final class HoldRule {
    /** How long an early record is held before it is sent round (so a long backoff does not stop a consumer). */
    static final long HOLD = 5_000;
    /** The end of a lock kept free: a record not leased by then is sent round before Kafka takes it back. */
    static final long MARGIN = 5_000;
    /** Deliveries after which a record is sent round, before the group's delivery-count limit (5) archives it. */
    static final int REDELIVERIES = 3;

    enum Action { KEEP, READY, SEND_ROUND, RELEASE }

    private HoldRule() {
    }

    /** A record just acquired: due now, not yet, or delivered too often. */
    static Action received(long now, long notBefore, int deliveryCount) {
        if (deliveryCount > REDELIVERIES) {
            return Action.SEND_ROUND;
        }
        return notBefore <= now ? Action.READY : Action.KEEP;
    }

    /** A record held in {@code state} at {@code now}. */
    static Action held(Held.State state, long now, long receivedAt, long lockEnds, long notBefore) {
        return switch (state) {
            case WAITING -> notBefore <= now && now < lockEnds - MARGIN ? Action.READY
                    : now >= receivedAt + HOLD || now >= lockEnds - MARGIN ? Action.SEND_ROUND : Action.KEEP;
            case READY -> now >= lockEnds - MARGIN ? Action.SEND_ROUND : Action.KEEP;
            case LEASED -> now >= lockEnds ? Action.RELEASE : Action.KEEP;
            case DONE -> Action.KEEP;
        };
    }
}
