package dev.nest.async;

/**
 * Where an asynchronous invocation is in its life. {@code QUEUED} and {@code RETRYING} wait for their visible-at
 * time, {@code RUNNING} is leased to a dispatcher until its lease ends; the last four are final, {@code DEAD}
 * until it is redriven.
 */
public enum EventState {
    /** Accepted, not tried yet. */
    QUEUED,
    /** Leased: an attempt is under way. */
    RUNNING,
    /** An attempt failed (or admission refused it); waits for its next try. */
    RETRYING,
    /** The function answered with a success. */
    SUCCEEDED,
    /** Finally failed and handed to the function's {@code on-failure} destination. */
    FAILED,
    /** Finally failed (retries used up, too old, or refused for good) with no destination: a dead letter. */
    DEAD,
    /**
     * Cancelled on purpose (its run was replaced, see {@link Dispatcher#cancel}): withdrawn while it waited, or
     * stopped while it ran. Final: not retried, no destination, no dead letter.
     */
    CANCELLED;

    /** Whether the event waits for delivery (leasable once due). */
    public boolean pending() {
        return this == QUEUED || this == RUNNING || this == RETRYING;
    }

    /** The name the API shows. */
    public String label() {
        return name().toLowerCase();
    }
}
