package dev.nest.cluster;

import dev.nest.common.Json;
import dev.nest.function.FunctionId;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;

/**
 * The region's placements, {@code placements/<node>/<namespace>.<name>} ({@link NodePlacement} as JSON): an
 * in-memory mirror that every node reads (never waits for ZooKeeper), and the leader's fenced writes.
 *
 * <p>Threads: reads from any thread; listeners are called on a Curator thread after each change and must not
 * block; {@link #write} and {@link #delete} block on ZooKeeper and are for the leader's own threads.
 */
public final class ZooKeeperPlacements implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ZooKeeperPlacements.class.getName());

    private final Cluster cluster;
    private final String prefix;
    private final CuratorCache cache;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    ZooKeeperPlacements(Cluster cluster) {
        this.cluster = cluster;
        this.prefix = cluster.paths().placements() + "/";
        this.cache = CuratorCache.build(cluster.client(), cluster.paths().placements());
        cache.listenable().addListener(CuratorCacheListener.builder().forAll((type, before, after) -> changed()).build());
    }

    CuratorCache cache() {
        return cache;
    }

    /** Calls {@code listener} after every change of any placement (on a Curator thread; it must not block). */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    private void changed() {
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "placement listener failed", e);
            }
        }
    }

    /** Every node's placements, by node id then function. */
    public Map<String, Map<FunctionId, NodePlacement>> all() {
        Map<String, Map<FunctionId, NodePlacement>> out = new TreeMap<>();
        cache.stream().forEach(d -> {
            String rest = d.getPath().startsWith(prefix) ? d.getPath().substring(prefix.length()) : "";
            int slash = rest.indexOf('/');
            if (slash <= 0 || rest.indexOf('/', slash + 1) >= 0) {
                return; // the root, a node's folder, or something else
            }
            String key = rest.substring(slash + 1);
            int dot = key.indexOf('.');
            if (dot <= 0) {
                return;
            }
            try {
                FunctionId id = FunctionId.of(key.substring(0, dot), key.substring(dot + 1));
                out.computeIfAbsent(rest.substring(0, slash), k -> new TreeMap<>()).put(id, read(d));
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "ignoring unreadable placement " + d.getPath(), e);
            }
        });
        return out;
    }

    /** The placements of {@code nodeId}. */
    public Map<FunctionId, NodePlacement> of(String nodeId) {
        return all().getOrDefault(nodeId, Map.of());
    }

    private static NodePlacement read(ChildData d) {
        return Json.read(d.getData(), NodePlacement.class);
    }

    /**
     * Sets {@code nodeId}'s placement of {@code id} as the leader (fenced by its epoch).
     *
     * @throws ClusterException when this node is not the leader (any more) or ZooKeeper is unreachable
     */
    public void write(String nodeId, FunctionId id, int instances, int version) {
        int epoch = cluster.leadership().epoch().orElse(-1);
        cluster.leadership().writeAsLeader(ZooKeeperPaths.placementRelative(nodeId, id), Json.bytes(new NodePlacement(instances, version, epoch)));
    }

    /** Removes {@code nodeId}'s placement of {@code id} as the leader; see {@link #write}. */
    public void delete(String nodeId, FunctionId id) {
        cluster.leadership().deleteAsLeader(ZooKeeperPaths.placementRelative(nodeId, id));
    }

    @Override
    public void close() {
        cache.close();
    }
}
