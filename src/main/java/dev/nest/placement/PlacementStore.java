package dev.nest.placement;

import dev.nest.function.FunctionId;
import java.util.Map;

/** Where placements are kept (in a cluster: ZooKeeper, written only by the leader, fenced by its epoch). */
public interface PlacementStore {
    /** Every node's placements as last seen, instances by function by node id; never blocks. */
    Map<String, Map<FunctionId, Integer>> all();

    /** Sets a placement; may fail with an unchecked exception (not the leader, store unreachable). */
    void write(String nodeId, FunctionId id, int instances);

    /** Removes a placement; see {@link #write}. */
    void delete(String nodeId, FunctionId id);
}
