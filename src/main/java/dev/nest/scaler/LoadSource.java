package dev.nest.scaler;

import dev.nest.function.FunctionId;
import java.util.Map;

/** Where the live scaler reads load: the node agent's snapshot of its functions' live versions. */
@FunctionalInterface
public interface LoadSource {
    /** The load of every function that has instances or waiting requests; must be cheap and must not block. */
    Map<FunctionId, InstanceLoad> load();
}
