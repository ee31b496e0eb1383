package dev.nest.scheduler;

/** Where a new instance goes, or why it cannot be placed. */
public sealed interface PlacementDecision {
    /** The reason in words. */
    String reason();

    /** Place it on {@code node}. */
    record Placed(NodeState node, String reason) implements PlacementDecision {
    }

    /** No node has room: the reason names what was asked and the largest free amounts seen. */
    record NoCapacity(String reason) implements PlacementDecision {
    }
}
