package dev.nest.trigger;

/** Where a trigger source runs, as its provider declares. */
public enum TriggerPlacement {
    /** On the region's leader only (started when this node wins, stopped when it loses): schedules, pollers. */
    LEADER,
    /** On every node at once: sources that spread work themselves (e.g. a Kafka consumer group). */
    EVERY_NODE;

    /** The name the API shows. */
    public String label() {
        return name().toLowerCase().replace('_', '-');
    }
}
