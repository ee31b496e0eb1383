package dev.nest.api;

import dev.nest.function.FunctionId;
import dev.nest.scaler.ScalingStatus;
import dev.nest.scheduler.Scheduler;
import java.util.Optional;

/** What the admin API reads from the scaler loop and the scheduler for {@code GET .../scaling}. */
interface ScalingView {
    /** Whether the scaler decides on this node (it does on the leader). */
    boolean active();

    /** The scaler's view of {@code id}, once it has seen it. */
    Optional<ScalingStatus> status(FunctionId id);

    /** The scheduler's placement of {@code id}, once it placed it. */
    Optional<Scheduler.Status> placement(FunctionId id);

    /** How often the scheduler found no node with room. */
    long noCapacityEvents();
}
