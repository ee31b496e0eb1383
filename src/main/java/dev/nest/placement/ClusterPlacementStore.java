package dev.nest.placement;

import dev.nest.cluster.ZooKeeperPlacements;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import java.util.HashMap;
import java.util.Map;

/**
 * The cluster's placements tree ({@link ZooKeeperPlacements}) as the leader's {@link PlacementStore}: a placement
 * is written with the function's live version from {@code catalog} (informational; 0 when it has none).
 *
 * <p>Failure and threads as {@link ZooKeeperPlacements}: reads answer from memory on any thread; writes block on
 * ZooKeeper and fail with a {@code ClusterException} when this node does not lead (any more).
 */
public final class ClusterPlacementStore implements PlacementStore {
    private final ZooKeeperPlacements placements;
    private final FunctionCatalog catalog;

    public ClusterPlacementStore(ZooKeeperPlacements placements, FunctionCatalog catalog) {
        this.placements = placements;
        this.catalog = catalog;
    }

    @Override
    public Map<String, Map<FunctionId, Integer>> all() {
        Map<String, Map<FunctionId, Integer>> out = new HashMap<>();
        placements.all().forEach((node, ps) -> {
            Map<FunctionId, Integer> m = new HashMap<>();
            ps.forEach((id, p) -> m.put(id, p.instances()));
            out.put(node, m);
        });
        return out;
    }

    /** The instances placed on {@code nodeId}, by function (for its {@link PlacementFollower}). */
    public Map<FunctionId, Integer> of(String nodeId) {
        Map<FunctionId, Integer> mine = new HashMap<>();
        placements.of(nodeId).forEach((id, p) -> mine.put(id, p.instances()));
        return mine;
    }

    @Override
    public void write(String nodeId, FunctionId id, int instances) {
        int version = catalog.get(id).map(FunctionRecord::live).orElse(0);
        placements.write(nodeId, id, instances, version);
    }

    @Override
    public void delete(String nodeId, FunctionId id) {
        placements.delete(nodeId, id);
    }
}
