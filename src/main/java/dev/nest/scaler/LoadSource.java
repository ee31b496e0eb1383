package dev.nest.scaler;

import dev.nest.function.FunctionId;
import java.util.Map;

/**
 * Where the live scaler reads load: per function, the live version's instances, requests and usage; on the leader
 * the sum over the cluster's nodes ({@code load.ClusterLoad}), in tests a map.
 */
@FunctionalInterface
public interface LoadSource {
    /** The load of every function that has instances or waiting requests; must be cheap and must not block. */
    Map<FunctionId, InstanceLoad> load();
}
