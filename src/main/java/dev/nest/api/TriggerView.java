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

    /** The triggers and trigger types that do not work on this node, for {@code /health}; none by default. */
    default List<dev.nest.trigger.TriggerProblem> problems() {
        return List.of();
    }

    /** A view of the given reads. */
    static TriggerView of(java.util.function.Function<FunctionId, List<TriggerStatus>> triggers,
                          java.util.function.Supplier<List<dev.nest.trigger.TriggerProblem>> problems) {
        return new TriggerView() {
            @Override
            public List<TriggerStatus> triggers(FunctionId id) {
                return triggers.apply(id);
            }

            @Override
            public List<dev.nest.trigger.TriggerProblem> problems() {
                return problems.get();
            }
        };
    }
}
