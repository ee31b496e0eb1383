package dev.nest.trigger;

import dev.nest.function.FunctionId;

/** Where triggers keep their {@link TriggerState} (ZooKeeper in a node; in memory in tests). Thread-safe. */
@FunctionalInterface
public interface TriggerStateStore {
    /** The state of {@code function}'s trigger {@code trigger}. */
    TriggerState of(FunctionId function, String trigger);
}
