package dev.nest.cluster;

import dev.nest.common.NestException;
import dev.nest.namespace.NamespaceSettings;
import dev.nest.namespace.NamespaceStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;

/**
 * The region's namespace settings (quotas, rate limits) in ZooKeeper: one persistent node per namespace,
 * {@code /nest/<region>/namespaces/<ns>}, holding its {@link NamespaceSettings} JSON, under the ACLs of every Nest
 * znode. A {@link CuratorCache} on the subtree keeps an in-memory mirror on every node, so the quota and rate reads
 * ({@link #quota}, {@link #rate}, {@link #get}) never wait for ZooKeeper and a change reaches every node as soon as its
 * watch fires (milliseconds while ZooKeeper is reachable).
 *
 * <p>Writes: {@link #put} and {@link #delete} write ZooKeeper and wait (at most the operation timeout) until this
 * node's mirror shows the change, so that the caller's next request on this node sees it.
 *
 * <p>Under failure: while ZooKeeper is unreachable, reads answer from the last known mirror; writes fail with a
 * {@link ClusterException} (503) after the operation timeout. A node whose data does not parse is logged and ignored
 * (the namespace then has no settings on this node): a bad write by hand cannot stop the region.
 *
 * <p>Lifecycle: {@link #start} loads the subtree and returns once the mirror holds it; {@link #close} stops the
 * watch. Thread-safe.
 */
public final class ZooKeeperNamespaceStore implements NamespaceStore, AutoCloseable {
    /** The namespaces' subtree below the region's root. */
    static final String NAMESPACES = "namespaces";
    private static final Logger LOG = Logger.getLogger(ZooKeeperNamespaceStore.class.getName());

    private final CuratorFramework client;
    private final String path;
    private final Clock clock;
    private final Duration opTimeout;
    private final CuratorCache cache;
    private final Map<String, NamespaceSettings> mirror = new ConcurrentHashMap<>();
    private final MirrorChanges changes;
    private final BoundedWrites writes;

    ZooKeeperNamespaceStore(CuratorFramework client, String path, Clock clock, Duration opTimeout, LongSupplier nanoTime) {
        this.client = client;
        this.path = path;
        this.clock = clock;
        this.opTimeout = opTimeout;
        this.writes = new BoundedWrites(opTimeout, "nest-zk-namespace-write");
        this.changes = new MirrorChanges(path, opTimeout, nanoTime);
        this.cache = CuratorCache.build(client, path);
    }

    /**
     * The namespace settings of {@code cluster}'s region, loaded.
     *
     * @param operationTimeout {@code cluster.operation-timeout}: the most a load or write may take
     * @throws ClusterException when they cannot be loaded within it
     */
    public static ZooKeeperNamespaceStore start(Cluster cluster, Clock clock, Duration operationTimeout) {
        ZooKeeperNamespaceStore store = new ZooKeeperNamespaceStore(cluster.client(),
                cluster.paths().root() + "/" + NAMESPACES, clock, operationTimeout, System::nanoTime);
        store.start();
        return store;
    }

    void start() {
        try {
            client.createContainers(path);
            Cluster.primed(cache, CuratorCacheListener.builder()
                    .forCreatesAndChanges((before, now) -> onData(now))
                    .forDeletes(this::onDelete), "namespace", opTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new ClusterException("interrupted while loading the namespace settings", e);
        } catch (Exception e) {
            close();
            throw new ClusterException("cannot load the namespace settings from " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        cache.close();
    }

    // ---- read side -------------------------------------------------------------------------------------

    @Override
    public Optional<NamespaceSettings> get(String namespace) {
        return Optional.ofNullable(mirror.get(namespace));
    }

    @Override
    public List<NamespaceSettings> list() {
        return List.copyOf(new TreeMap<>(mirror).values());
    }

    private void onData(ChildData data) {
        Optional<String> name = changes.childName(data.getPath());
        if (name.isEmpty()) {
            return;
        }
        try {
            NamespaceSettings s = NamespaceSettings.fromBytes(data.getData(),
                    w -> LOG.warning("namespace node " + data.getPath() + ": " + w));
            if (!s.namespace().equals(name.get())) {
                throw new IllegalArgumentException("it holds namespace '" + s.namespace() + "'");
            }
            mirror.put(name.get(), s);
        } catch (RuntimeException e) {
            mirror.remove(name.get());
            LOG.log(Level.WARNING, "ignoring namespace node " + data.getPath() + ": " + e.getMessage());
        }
        changes.changed();
    }

    private void onDelete(ChildData data) {
        changes.childName(data.getPath()).ifPresent(mirror::remove);
        changes.changed();
    }

    // ---- write side ------------------------------------------------------------------------------------

    @Override
    public NamespaceSettings put(NamespaceSettings settings) {
        NamespaceSettings stored = new NamespaceSettings(settings.namespace(), settings.quota(), settings.rate(),
                clock.instant());
        String node = path + "/" + stored.namespace();
        byte[] data = stored.toBytes();
        try {
            writes.within(() -> {
                try {
                    return client.setData().forPath(node, data);
                } catch (KeeperException.NoNodeException absent) {
                    try {
                        return client.create().forPath(node, data);
                    } catch (KeeperException.NodeExistsException raced) {
                        return client.setData().forPath(node, data); // another admin created it meanwhile: last wins
                    }
                }
            });
        } catch (Exception e) {
            throw writes.failure("set namespace '" + stored.namespace() + "'", e);
        }
        if (!changes.await(() -> get(stored.namespace()).filter(stored::equals).isPresent())) {
            LOG.warning("namespace '" + stored.namespace() + "' is stored but this node's mirror has not shown it within "
                    + opTimeout.toMillis() + " ms");
        }
        return stored;
    }

    @Override
    public void delete(String namespace) {
        if (!NamespaceSettings.validName(namespace)) {
            throw NestException.badRequest(NamespaceSettings.requireNameMessage(namespace));
        }
        try {
            writes.within(() -> client.delete().forPath(path + "/" + namespace));
        } catch (KeeperException.NoNodeException e) {
            throw NestException.notFound("namespace", "namespace '" + namespace + "' has no settings to clear; see "
                    + "GET /api/v1/namespaces");
        } catch (Exception e) {
            throw writes.failure("clear namespace '" + namespace + "'", e);
        }
        if (!changes.await(() -> get(namespace).isEmpty())) {
            LOG.warning("namespace '" + namespace + "' is cleared but this node's mirror has not shown it within "
                    + opTimeout.toMillis() + " ms");
        }
    }
}
