package dev.nest.api;

import dev.nest.function.FunctionId;
import dev.nest.trigger.TriggerStatus;
import java.util.List;

/** What the triggers route reads: a function's triggers as this node sees them (the trigger manager). */
@FunctionalInterface
public interface TriggerView {
    /** No trigger support: every trigger shows as not running here, without details. */
    TriggerView NONE = id -> List.of();

    List<TriggerStatus> triggers(FunctionId id);
}
