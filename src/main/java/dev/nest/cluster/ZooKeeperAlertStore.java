package dev.nest.cluster;

import dev.nest.alert.AlertRule;
import dev.nest.alert.AlertStatus;
import dev.nest.alert.AlertStore;
import dev.nest.common.NestException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;

/**
 * The region's alert rules and their states in ZooKeeper: {@code /nest/<region>/alerts/rules/<name>} (the rule's
 * JSON, written through the API) and {@code /nest/<region>/alerts/states/<name>} (the state the leader judged last,
 * written on each change), under the ACLs of every Nest znode. Each folder is mirrored in memory on every node by a
 * {@link CuratorCache}, so reads never wait for ZooKeeper.
 *
 * <p>Writes wait (at most the operation timeout) for ZooKeeper and then for this node's mirror. Under failure: reads
 * answer from the last known mirror; writes fail with a {@link ClusterException} (503). A node whose data does not
 * parse is logged and ignored. Lifecycle: {@link #start} returns once both mirrors are loaded; {@link #close} stops
 * the watches. Thread-safe.
 */
public final class ZooKeeperAlertStore implements AlertStore, AutoCloseable {
    static final String ALERTS = "alerts";
    private static final Logger LOG = Logger.getLogger(ZooKeeperAlertStore.class.getName());

    private final CuratorFramework client;
    private final Duration opTimeout;
    private final Folder<AlertRule> rules;
    private final Folder<AlertStatus> states;
    private final BoundedWrites writes;

    /** One mirrored folder. */
    private static final class Folder<T> {
        final String path;
        final CuratorCache cache;
        final MirrorChanges changes;
        final Map<String, T> mirror = new ConcurrentHashMap<>();
        final Function<byte[], T> read;
        final Function<T, String> name;

        Folder(CuratorFramework client, String path, Duration timeout, LongSupplier nanoTime, Function<byte[], T> read,
               Function<T, String> name) {
            this.path = path;
            this.cache = CuratorCache.build(client, path);
            this.changes = new MirrorChanges(path, timeout, nanoTime);
            this.read = read;
            this.name = name;
        }

        void onData(ChildData data) {
            Optional<String> n = changes.childName(data.getPath());
            if (n.isEmpty()) {
                return;
            }
            try {
                T v = read.apply(data.getData());
                if (!name.apply(v).equals(n.get())) {
                    throw new IllegalArgumentException("it holds '" + name.apply(v) + "'");
                }
                mirror.put(n.get(), v);
            } catch (RuntimeException e) {
                mirror.remove(n.get());
                LOG.warning("ignoring alert node " + data.getPath() + ": " + e.getMessage());
            }
            changes.changed();
        }

        void onDelete(ChildData data) {
            changes.childName(data.getPath()).ifPresent(mirror::remove);
            changes.changed();
        }
    }

    ZooKeeperAlertStore(CuratorFramework client, String path, Duration opTimeout, LongSupplier nanoTime) {
        this.client = client;
        this.opTimeout = opTimeout;
        this.rules = new Folder<>(client, path + "/rules", opTimeout, nanoTime, AlertRule::fromBytes, AlertRule::name);
        this.states = new Folder<>(client, path + "/states", opTimeout, nanoTime, AlertStatus::fromBytes,
                AlertStatus::name);
        this.writes = new BoundedWrites(opTimeout, "nest-zk-alert-write");
    }

    /** The alert rules of {@code cluster}'s region, loaded. */
    public static ZooKeeperAlertStore start(Cluster cluster, Duration operationTimeout) {
        ZooKeeperAlertStore store = new ZooKeeperAlertStore(cluster.client(), cluster.paths().root() + "/" + ALERTS,
                operationTimeout, System::nanoTime);
        store.start();
        return store;
    }

    void start() {
        try {
            for (Folder<?> f : List.of(rules, states)) {
                client.createContainers(f.path);
                Cluster.primed(f.cache, CuratorCacheListener.builder()
                        .forCreatesAndChanges((before, now) -> f.onData(now))
                        .forDeletes(f::onDelete), "alert", opTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new ClusterException("interrupted while loading the alert rules", e);
        } catch (Exception e) {
            close();
            throw new ClusterException("cannot load the alert rules: " + e.getMessage(), e);
        }
    }

    @Override
    public List<AlertRule> rules() {
        return List.copyOf(new TreeMap<>(rules.mirror).values());
    }

    @Override
    public Optional<AlertRule> rule(String name) {
        return Optional.ofNullable(rules.mirror.get(name));
    }

    @Override
    public void put(AlertRule rule) {
        write(rules, rule.name(), rule.toBytes(), "set alert '" + rule.name() + "'");
        if (!rules.changes.await(() -> rule(rule.name()).filter(r -> r.equals(rule)).isPresent())) {
            LOG.warning("alert '" + rule.name() + "' is stored but this node's mirror has not shown it yet");
        }
    }

    @Override
    public void delete(String name) {
        try {
            writes.within(() -> client.delete().forPath(rules.path + "/" + name));
        } catch (KeeperException.NoNodeException e) {
            throw NestException.notFound("alert not found", "no alert '" + name + "'; see GET /api/v1/alerts");
        } catch (Exception e) {
            throw writes.failure("delete alert '" + name + "'", e);
        }
        try {
            writes.within(() -> client.delete().forPath(states.path + "/" + name));
        } catch (KeeperException.NoNodeException e) {
            // never judged
        } catch (Exception e) {
            LOG.warning("alert '" + name + "' is deleted but its state is not: " + e.getMessage());
        }
        rules.changes.await(() -> rule(name).isEmpty());
    }

    @Override
    public Map<String, AlertStatus> states() {
        return Map.copyOf(states.mirror);
    }

    @Override
    public void state(AlertStatus status) {
        write(states, status.name(), status.toBytes(), "store the state of alert '" + status.name() + "'");
    }

    private void write(Folder<?> f, String name, byte[] data, String what) {
        String node = f.path + "/" + name;
        try {
            writes.within(() -> {
                try {
                    return client.setData().forPath(node, data);
                } catch (KeeperException.NoNodeException absent) {
                    try {
                        return client.create().forPath(node, data);
                    } catch (KeeperException.NodeExistsException raced) {
                        return client.setData().forPath(node, data);
                    }
                }
            });
        } catch (Exception e) {
            throw writes.failure(what, e);
        }
    }

    @Override
    public void close() {
        rules.cache.close();
        states.cache.close();
    }
}
