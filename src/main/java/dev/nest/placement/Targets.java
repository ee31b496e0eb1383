package dev.nest.placement;

import dev.nest.function.FunctionId;
import java.util.Optional;

/** The node agent's target interface, as the placement components use it. */
public interface Targets {
    Optional<Integer> target(FunctionId id);

    void setTarget(FunctionId id, int instances);

    void clearTarget(FunctionId id);
}
