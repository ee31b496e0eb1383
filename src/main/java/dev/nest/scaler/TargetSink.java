package dev.nest.scaler;

import dev.nest.function.FunctionId;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** Where the live scaler's desired counts go: the node agent (or, later, the scheduler's placements). */
public interface TargetSink {
    /** Keep {@code instances} instances of {@code id}'s live version (the agent keeps at least its min). */
    void setTarget(FunctionId id, int instances);

    /** Stop steering {@code id}: the agent goes back to its own keep-alive expiry. */
    void clearTarget(FunctionId id);

    /** A sink that passes each call to the given functions. */
    static TargetSink of(BiConsumer<FunctionId, Integer> set, Consumer<FunctionId> clear) {
        return new TargetSink() {
            @Override
            public void setTarget(FunctionId id, int instances) {
                set.accept(id, instances);
            }

            @Override
            public void clearTarget(FunctionId id) {
                clear.accept(id);
            }
        };
    }
}
