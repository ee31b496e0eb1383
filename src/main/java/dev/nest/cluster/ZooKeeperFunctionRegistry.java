package dev.nest.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionCodec;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import dev.nest.function.FunctionVersion;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Functions in ZooKeeper: a head node per function ({@code functions/<ns>/<name>}: live version, history)
 * and one child per immutable version ({@code .../v/<n>}). A {@link CuratorCache} mirrors the subtree into
 * memory, so reads never touch the network. Writes are optimistic read-modify-write transactions on the
 * head's ZooKeeper version: concurrent deploys retry instead of overwriting each other.
 *
 * <p>A record is published to readers only once its live version's node has arrived, so the gateway never
 * sees a live pointer to a version it cannot read. Listeners are called on Curator's event thread.
 */
final class ZooKeeperFunctionRegistry implements FunctionRegistry, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ZooKeeperFunctionRegistry.class.getName());

    private final CuratorFramework client;
    private final ZooKeeperPaths paths;
    private final Clock clock;
    private final Duration opTimeout;
    private final CuratorCache cache;
    private final Map<FunctionId, JsonNode> heads = new ConcurrentHashMap<>();
    private final Map<FunctionId, Map<Integer, FunctionVersion>> versions = new ConcurrentHashMap<>();
    private final Map<FunctionId, FunctionRecord> published = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    ZooKeeperFunctionRegistry(CuratorFramework client, ZooKeeperPaths paths, Clock clock, Duration opTimeout) {
        this.client = client;
        this.paths = paths;
        this.clock = clock;
        this.opTimeout = opTimeout;
        this.cache = CuratorCache.build(client, paths.functions());
    }

    void start() throws Exception {
        client.createContainers(paths.functions());
        client.createContainers(paths.nodes());
        Cluster.primed(cache, CuratorCacheListener.builder()
                .forCreatesAndChanges((old, now) -> onData(now))
                .forDeletes(this::onDelete), "function", opTimeout);
    }

    @Override
    public void close() {
        cache.close();
    }

    // ---- read side -------------------------------------------------------------------------------------

    @Override
    public Optional<FunctionRecord> get(FunctionId id) {
        return Optional.ofNullable(published.get(id));
    }

    @Override
    public Collection<FunctionRecord> all() {
        return List.copyOf(new TreeMap<>(published).values());
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    private void onData(ChildData data) {
        String[] seg = relative(data.getPath());
        try {
            if (seg.length == 2) {
                FunctionId id = FunctionId.of(seg[0], seg[1]);
                if (data.getData() != null && data.getData().length > 0) {
                    heads.put(id, Json.mapper().readTree(data.getData()));
                    republish(id);
                }
            } else if (seg.length == 4 && seg[2].equals("v")) {
                FunctionId id = FunctionId.of(seg[0], seg[1]);
                FunctionVersion v = FunctionCodec.readVersion(Json.mapper().readTree(data.getData()));
                versions.computeIfAbsent(id, k -> new ConcurrentHashMap<>()).put(v.version(), v);
                republish(id);
            }
        } catch (Exception e) {
            LOG.log(Level.WARNING, "ignoring unreadable node " + data.getPath() + ": " + e.getMessage(), e);
        }
    }

    private void onDelete(ChildData data) {
        String[] seg = relative(data.getPath());
        if (seg.length == 2) {
            FunctionId id = FunctionId.of(seg[0], seg[1]);
            heads.remove(id);
            versions.remove(id);
            if (published.remove(id) != null) {
                notifyListeners(id, Optional.empty());
            }
        } else if (seg.length == 4 && seg[2].equals("v")) {
            FunctionId id = FunctionId.of(seg[0], seg[1]);
            Map<Integer, FunctionVersion> v = versions.get(id);
            if (v != null) {
                v.remove(Integer.parseInt(seg[3]));
            }
        }
    }

    private String[] relative(String path) {
        String rel = path.length() > paths.functions().length() ? path.substring(paths.functions().length() + 1) : "";
        return rel.isEmpty() ? new String[0] : rel.split("/");
    }

    private synchronized void republish(FunctionId id) {
        JsonNode head = heads.get(id);
        if (head == null) {
            return;
        }
        FunctionRecord r = FunctionCodec.readHead(head, versions.getOrDefault(id, Map.of()));
        if (r.live() != 0 && r.liveVersion().isEmpty()) {
            return; // the live version's node has not arrived yet; keep what readers had
        }
        FunctionRecord before = published.put(id, r);
        if (!r.equals(before)) {
            notifyListeners(id, Optional.of(r));
        }
    }

    private void notifyListeners(FunctionId id, Optional<FunctionRecord> now) {
        for (Listener l : listeners) {
            try {
                l.changed(id, now);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "function listener failed for " + id, e);
            }
        }
    }

    // ---- write side ------------------------------------------------------------------------------------

    @Override
    public FunctionRecord update(FunctionId id, String origin, UnaryOperator<FunctionRecord> change) {
        long deadline = System.nanoTime() + opTimeout.toNanos();
        while (true) {
            try {
                FunctionRecord stored = within(deadline, () -> tryUpdate(id, origin, change));
                if (stored != null) {
                    applyLocally(stored);
                    return stored;
                }
            } catch (NestException e) {
                throw e;
            } catch (Exception e) {
                if (System.nanoTime() > deadline || !(e instanceof KeeperException.ConnectionLossException
                        || e instanceof KeeperException.SessionExpiredException
                        || e instanceof KeeperException.OperationTimeoutException)) {
                    throw new ClusterException("cannot store function " + id + ": " + e.getMessage()
                            + " (is ZooKeeper reachable? see GET /api/v1/cluster)", e);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new ClusterException("cannot store function " + id + " within " + opTimeout.toMillis()
                        + " ms: ZooKeeper is unreachable or the function is changing too often", null);
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Runs {@code op} on its own thread and waits for it until {@code deadline} (nanoTime): Curator's own retries
     * of a lost connection would otherwise hold the caller far beyond {@code cluster.operation-timeout}.
     */
    private static <T> T within(long deadline, java.util.concurrent.Callable<T> op) throws Exception {
        java.util.concurrent.FutureTask<T> task = new java.util.concurrent.FutureTask<>(op);
        Thread.ofVirtual().name("nest-zk-write").start(task);
        try {
            return task.get(Math.max(1, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            task.cancel(true);
            throw KeeperException.create(KeeperException.Code.OPERATIONTIMEOUT);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    /** One optimistic attempt; null when another writer won the race. */
    private FunctionRecord tryUpdate(FunctionId id, String origin, UnaryOperator<FunctionRecord> change) throws Exception {
        String headPath = paths.function(id);
        Stat stat = new Stat();
        FunctionRecord current;
        boolean exists;
        try {
            byte[] head = client.getData().storingStatIn(stat).forPath(headPath);
            Map<Integer, FunctionVersion> vs = new TreeMap<>();
            List<String> children;
            try {
                children = client.getChildren().forPath(paths.versions(id));
            } catch (KeeperException.NoNodeException e) {
                children = List.of();
            }
            // versions are immutable: those already mirrored are taken from memory, only new ones are read (a
            // function with many versions costs no round trip per version on each deploy)
            Map<Integer, FunctionVersion> mirrored = versions.getOrDefault(id, Map.of());
            for (String c : children) {
                FunctionVersion v = mirrored.get(versionNumber(c));
                if (v == null) {
                    v = FunctionCodec.readVersion(Json.mapper().readTree(client.getData().forPath(paths.versions(id) + "/" + c)));
                }
                vs.put(v.version(), v);
            }
            current = FunctionCodec.readHead(Json.mapper().readTree(head), vs);
            exists = true;
        } catch (KeeperException.NoNodeException e) {
            current = FunctionRecord.empty(id, origin, clock.instant());
            exists = false;
        }
        FunctionRecord next = change.apply(current);
        if (next.equals(current)) {
            return current;
        }
        List<CuratorOp> ops = new ArrayList<>();
        if (!exists) {
            client.createContainers(paths.function(id).substring(0, paths.function(id).lastIndexOf('/')));
            ops.add(client.transactionOp().create().forPath(headPath, Json.bytes(FunctionCodec.writeHead(next))));
            ops.add(client.transactionOp().create().forPath(paths.versions(id)));
        } else {
            ops.add(client.transactionOp().setData().withVersion(stat.getVersion())
                    .forPath(headPath, Json.bytes(FunctionCodec.writeHead(next))));
        }
        for (FunctionVersion v : next.versions().values()) {
            if (!current.versions().containsKey(v.version())) {
                ops.add(client.transactionOp().create().forPath(paths.version(id, v.version()),
                        Json.bytes(FunctionCodec.writeVersion(v))));
            }
        }
        try {
            client.transaction().forOperations(ops);
            return next;
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException race) {
            return null;
        }
    }

    /** The number of a version's node name ({@code 0000000012}), or -1 for a name of another form. */
    private static int versionNumber(String child) {
        try {
            return Integer.parseInt(child);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void applyLocally(FunctionRecord r) {
        Map<Integer, FunctionVersion> vs = versions.computeIfAbsent(r.id(), k -> new ConcurrentHashMap<>());
        vs.putAll(r.versions());
        heads.put(r.id(), FunctionCodec.writeHead(r));
        republish(r.id());
    }

    @Override
    public boolean delete(FunctionId id) {
        try {
            client.delete().deletingChildrenIfNeeded().forPath(paths.function(id));
            heads.remove(id);
            versions.remove(id);
            if (published.remove(id) != null) {
                notifyListeners(id, Optional.empty());
            }
            return true;
        } catch (KeeperException.NoNodeException e) {
            return false;
        } catch (Exception e) {
            throw new ClusterException("cannot delete function " + id + ": " + e.getMessage(), e);
        }
    }
}
