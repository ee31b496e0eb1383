package dev.nest.api;

import dev.nest.function.FunctionId;
import dev.nest.scaler.ScalingStatus;
import dev.nest.scheduler.Scheduler;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The scaler's and the scheduler's views as a test sets them. */
final class FakeScalingView implements ScalingView {
    final Map<FunctionId, ScalingStatus> statuses = new HashMap<>();
    final Map<FunctionId, Scheduler.Status> placements = new HashMap<>();
    boolean active = true;
    long noCapacityEvents;

    @Override
    public boolean active() {
        return active;
    }

    @Override
    public Optional<ScalingStatus> status(FunctionId id) {
        return Optional.ofNullable(statuses.get(id));
    }

    @Override
    public Optional<Scheduler.Status> placement(FunctionId id) {
        return Optional.ofNullable(placements.get(id));
    }

    @Override
    public long noCapacityEvents() {
        return noCapacityEvents;
    }
}
