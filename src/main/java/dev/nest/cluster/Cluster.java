package dev.nest.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import dev.nest.deploy.ArtifactHolders;
import dev.nest.function.FunctionRegistry;
import dev.nest.gateway.PeerRoutes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * This node's membership of the cluster: the Curator client, the ephemeral node registration, the leader
 * latch of the region, and the function registry kept in ZooKeeper.
 *
 * <p>Lifecycle: {@link #start} connects (waiting up to {@code cluster.connection-timeout}), registers the node
 * and joins the leader election; {@link #close} leaves the election, removes the registration and disconnects.
 * When ZooKeeper becomes unreachable the node keeps serving from its last known state and {@link #state}
 * reports {@code DEGRADED}; Curator reconnects by itself.
 */
public final class Cluster implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Cluster.class.getName());

    /** Connection state as the rest of Nest sees it. */
    public enum State { CONNECTED, DEGRADED, CLOSED }

    private final CuratorFramework client;
    private final ZooKeeperPaths paths;
    private final NodeInfo self;
    private final ZooKeeperFunctionRegistry registry;
    private final LeaderLatch latch;
    private final PersistentNode registration;
    private final ReadyInstances ready;
    private final CachedPackages cached;
    private final CuratorCache nodeCache;
    private final CuratorCache leaderCache;
    private final ZooKeeperPlacements placements;
    private final List<Runnable> nodeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Duration opTimeout;
    private volatile State state = State.DEGRADED;
    /** The region's leader epoch this node won, or -1 while it is not the leader. */
    private volatile int epoch = -1;
    private final java.util.concurrent.ExecutorService leadership = java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("nest-leadership").unstarted(r));

    private Cluster(CuratorFramework client, ZooKeeperPaths paths, NodeInfo self, Clock clock, Duration opTimeout) {
        this.client = client;
        this.paths = paths;
        this.self = self;
        this.opTimeout = opTimeout;
        this.registry = new ZooKeeperFunctionRegistry(client, paths, clock, opTimeout);
        this.latch = new LeaderLatch(client, paths.leader(), self.id());
        this.registration = new PersistentNode(client, CreateMode.EPHEMERAL, false, paths.node(self.id()), Json.bytes(self));
        this.ready = new ReadyInstances(client, paths, self);
        this.cached = new CachedPackages(client, paths, self.id());
        this.nodeCache = CuratorCache.build(client, paths.nodes());
        this.leaderCache = CuratorCache.build(client, paths.leader());
        this.placements = new ZooKeeperPlacements(this);
        this.nodeCache.listenable().addListener(CuratorCacheListener.builder().forAll((type, before, after) -> {
            for (Runnable l : nodeListeners) {
                try {
                    l.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "node listener failed", e);
                }
            }
        }).build());
        this.latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                claimEpoch();
            }

            @Override
            public void notLeader() {
                epoch = -1;
            }
        }, leadership); // its own thread: claiming the epoch is a blocking write
    }

    /** Connects to {@code connectString} and joins the cluster as {@code self}. */
    public static Cluster start(String connectString, NestConfig.Cluster config, NodeInfo self, Clock clock) {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs((int) config.sessionTimeout().toMillis())
                .connectionTimeoutMs((int) config.connectionTimeout().toMillis())
                .retryPolicy(new ExponentialBackoffRetry(100, 29, 5_000))
                .build();
        Cluster cluster = new Cluster(client, new ZooKeeperPaths(self.region()), self, clock, config.operationTimeout());
        client.getConnectionStateListenable().addListener((c, s) -> cluster.onState(s));
        client.start();
        try {
            if (!client.blockUntilConnected((int) config.connectionTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                client.close();
                throw new ClusterException("cannot reach ZooKeeper at " + connectString + " within "
                        + config.connectionTimeout().toMillis() + " ms; check cluster.zookeeper in nest.yaml "
                        + "and that the ensemble is up", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.close();
            throw new ClusterException("interrupted while connecting to ZooKeeper", e);
        }
        cluster.state = State.CONNECTED;
        try {
            // the mirrors fill independently: read them all at once, then wait for each
            List<java.util.concurrent.Callable<Void>> mirrors = List.of(
                    () -> {
                        cluster.registry.start();
                        return null;
                    },
                    () -> {
                        cluster.ready.start(config.operationTimeout());
                        return null;
                    },
                    () -> {
                        cluster.cached.start(config.operationTimeout());
                        return null;
                    },
                    () -> {
                        primed(cluster.nodeCache, "nodes", config.operationTimeout());
                        return null;
                    },
                    () -> {
                        primed(cluster.leaderCache, "leader", config.operationTimeout());
                        return null;
                    },
                    () -> {
                        primed(cluster.placements.cache(), "placements", config.operationTimeout());
                        return null;
                    });
            try (java.util.concurrent.ExecutorService starts = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (java.util.concurrent.Future<Void> f : starts.invokeAll(mirrors)) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e.getCause());
                    }
                }
            }
            cluster.registration.start();
            cluster.latch.start();
        } catch (Exception e) {
            cluster.close();
            throw new ClusterException("cannot join the cluster at " + connectString + ": " + e.getMessage(), e);
        }
        return cluster;
    }

    /** Starts {@code cache} and waits until it holds its whole subtree once. */
    private static void primed(CuratorCache cache, String what, Duration timeout) throws Exception {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        cache.listenable().addListener(CuratorCacheListener.builder().forInitialized(done::countDown).build());
        cache.start();
        if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the " + what + " tree did not load within " + timeout.toMillis() + " ms");
        }
    }

    private void onState(ConnectionState s) {
        if (state == State.CLOSED) {
            return;
        }
        State next = s.isConnected() ? State.CONNECTED : State.DEGRADED;
        if (next != state) {
            LOG.log(next == State.CONNECTED ? Level.INFO : Level.WARNING,
                    "ZooKeeper connection " + s + ": cluster is " + next);
        }
        state = next;
    }

    public State state() {
        return state;
    }

    public NodeInfo self() {
        return self;
    }

    public FunctionRegistry functions() {
        return registry;
    }

    /** Where the gateway may forward invocations this node cannot serve warm: peers' ready instances. */
    public PeerRoutes routes() {
        return ready;
    }

    /**
     * Publishes this node's ready instances, as {@code counts} reports them, to every other node's routing table,
     * with its ready generic pool pods per runtime ({@code pools}) for the scheduler; sampled every 100 ms and
     * written only when it changed, at most every 200 ms. Call once, when the node agent runs.
     */
    public void publishReady(Supplier<List<ReadyCount>> counts, Supplier<Map<String, Integer>> pools) {
        ready.publish(counts, pools);
    }

    /** {@link #publishReady(Supplier, Supplier)} of a node without warm pools. */
    public void publishReady(Supplier<List<ReadyCount>> counts) {
        ready.publish(counts, Map::of);
    }

    /**
     * Publishes the code packages this node has unpacked ({@code sha256:<hex>} digests), so that the scheduler can
     * prefer it for their instances; sampled every 250 ms, written only when the set changed, at most once a
     * second. Call once.
     */
    public void publishCached(Supplier<Set<String>> digests) {
        cached.publish(digests);
    }

    /** The ready generic pool pods per runtime that node {@code nodeId} last published (from memory). */
    public Map<String, Integer> warmPods(String nodeId) {
        return ready.pools(nodeId);
    }

    /** The functions node {@code nodeId} last published a ready instance of (from memory). */
    public Set<dev.nest.function.FunctionId> serving(String nodeId) {
        return ready.serving(nodeId);
    }

    /** The code packages node {@code nodeId} last published as unpacked there (from memory). */
    public Set<String> cachedPackages(String nodeId) {
        return cached.of(nodeId);
    }

    /** The region's placements: what the leader wants each node to run. */
    public ZooKeeperPlacements placements() {
        return placements;
    }

    /**
     * Calls {@code listener} after every change of the node registrations (a node joined, left, or its session
     * expired), on a Curator thread; it must not block.
     */
    public void onNodesChanged(Runnable listener) {
        nodeListeners.add(listener);
    }

    /** Which nodes hold which packages, for the deployer and the code fetcher. */
    public ArtifactHolders artifactHolders() {
        return new ZooKeeperArtifactHolders(this);
    }

    ReadyInstances readyForTests() {
        return ready;
    }

    CachedPackages cachedForTests() {
        return cached;
    }

    LeaderLatch latchForTests() {
        return latch;
    }

    CuratorFramework client() {
        return client;
    }

    ZooKeeperPaths paths() {
        return paths;
    }

    /**
     * Waits until ZooKeeper is reachable, at most {@code cluster.operation-timeout}.
     *
     * @throws ClusterException naming {@code what} could not be done, when it stays unreachable
     */
    void awaitConnected(String what) {
        if (client.getZookeeperClient().isConnected()) {
            return;
        }
        try {
            if (client.blockUntilConnected((int) opTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new ClusterException("cannot " + what + ": ZooKeeper was unreachable for cluster.operation-timeout ("
                + opTimeout.toMillis() + " ms); the cluster is " + state + ", see GET /api/v1/cluster and check the "
                + "ensemble in cluster.zookeeper", null);
    }

    // ---- fencing of leader-only writes -----------------------------------------------------------------

    /**
     * Called when this node wins the election: increments the region's epoch ({@code epoch}'s data version) and
     * keeps the new value. Every leader write checks it, so a leader that lost its session (and so its
     * leadership) while it was partitioned cannot write after a successor claimed a newer epoch.
     */
    synchronized void claimEpoch() {
        try {
            client.createContainers(paths.root());
            try {
                client.create().forPath(paths.epoch(), new byte[0]);
            } catch (KeeperException.NodeExistsException exists) {
                // claimed before
            }
            Stat stat = client.setData().forPath(paths.epoch(), self.id().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            epoch = stat.getVersion();
            LOG.info("node " + self.id() + " leads region " + self.region() + " at epoch " + epoch);
        } catch (Exception e) {
            epoch = -1;
            LOG.log(Level.WARNING, "cannot claim the leader epoch; leader-only writes are refused until it is claimed", e);
        }
    }

    /** The epoch this node leads at, when it is the leader and has claimed one. */
    public Optional<Integer> epoch() {
        int e = epoch;
        return e >= 0 && latch.hasLeadership() ? Optional.of(e) : Optional.empty();
    }

    /**
     * Writes {@code data} at {@code relativePath} under the region's root (creating it and its parents) as the
     * leader: in one transaction with a check that the region's epoch is still the one this node claimed.
     *
     * @throws ClusterException 503 when this node is not the leader, lost its leadership to a newer epoch (then it
     *                          must stop leader-only work), or ZooKeeper is unreachable
     */
    public void writeAsLeader(String relativePath, byte[] data) {
        leaderTransaction(relativePath, data, false);
    }

    /** Deletes {@code relativePath} under the region's root as the leader; see {@link #writeAsLeader}. */
    public void deleteAsLeader(String relativePath) {
        leaderTransaction(relativePath, null, true);
    }

    private void leaderTransaction(String relativePath, byte[] data, boolean delete) {
        if (relativePath.startsWith("/") || relativePath.contains("..") || relativePath.isBlank()) {
            throw new IllegalArgumentException("a path relative to the region root, without '..', not '" + relativePath + "'");
        }
        int e = epoch;
        if (e < 0 || !latch.hasLeadership() || state != State.CONNECTED) {
            throw new ClusterException("node " + self.id() + " is not the leader of region " + self.region()
                    + " (leader: " + leaderId().orElse("none") + ", cluster " + state + "); leader-only writes are refused", null);
        }
        String path = paths.root() + "/" + relativePath;
        try {
            List<CuratorOp> ops = new ArrayList<>();
            ops.add(client.transactionOp().check().withVersion(e).forPath(paths.epoch()));
            boolean exists = client.checkExists().forPath(path) != null;
            if (delete) {
                if (!exists) {
                    return;
                }
                ops.add(client.transactionOp().delete().forPath(path));
            } else if (exists) {
                ops.add(client.transactionOp().setData().forPath(path, data));
            } else {
                client.createContainers(path.substring(0, path.lastIndexOf('/')));
                ops.add(client.transactionOp().create().forPath(path, data));
            }
            client.transaction().forOperations(ops);
        } catch (KeeperException.BadVersionException stale) {
            epoch = -1;
            throw new ClusterException("node " + self.id() + " was fenced off: the region's leader epoch moved past " + e
                    + " (another node leads now); it stops leader-only work", stale);
        } catch (Exception ex) {
            throw new ClusterException("cannot write " + path + " as the leader: " + ex.getMessage(), ex);
        }
    }

    public boolean isLeader() {
        return latch.hasLeadership();
    }

    /**
     * Removes a node that is known dead (its port refuses connections) before ZooKeeper expires its session: its
     * registration, its ready instances and its place in the leader election, so that every gateway stops routing
     * to it and, if it led, the next node in the election takes over at once. These are the dead node's ephemeral
     * nodes; a node that is in fact alive writes its registrations back by itself (they are persistent nodes on its
     * side), and a former leader that lives on is fenced by the epoch. Never removes this node; never throws (a
     * failure is logged: the session's expiry still removes everything).
     */
    public void evict(String nodeId) {
        if (nodeId.equals(self.id())) {
            return;
        }
        List<String> gone = new ArrayList<>();
        try {
            for (String path : List.of(paths.ready(nodeId), paths.node(nodeId))) {
                if (deleteIfPresent(path)) {
                    gone.add(path);
                }
            }
            String prefix = paths.leader() + "/";
            for (ChildData d : leaderCache.stream().filter(d -> d.getPath().startsWith(prefix)).toList()) {
                if (nodeId.equals(new String(d.getData() == null ? new byte[0] : d.getData(), java.nio.charset.StandardCharsets.UTF_8))
                        && deleteIfPresent(d.getPath())) {
                    gone.add(d.getPath());
                }
            }
            if (!gone.isEmpty()) {
                LOG.warning("node " + nodeId + " refuses connections: removed " + gone + " before its session expires");
            }
        } catch (Exception e) {
            LOG.log(Level.WARNING, "cannot remove dead node " + nodeId + " (its session's expiry will): " + e, e);
        }
    }

    private boolean deleteIfPresent(String path) throws Exception {
        try {
            client.delete().forPath(path);
            return true;
        } catch (KeeperException.NoNodeException e) {
            return false;
        }
    }

    /**
     * Calls {@code listener} with {@code true} when this node becomes the leader and {@code false} when it stops
     * being it, on the {@code nest-leadership} thread (after the epoch is claimed), never on a Curator thread: a
     * listener may block (stopping leader-only work writes to ZooKeeper, which waits while it is unreachable), and
     * Curator delivers connection changes on the thread that tells the latch, so a blocked listener there would
     * hold back the news that ZooKeeper is gone. At once with the current state if this node already leads. Used
     * to run the leader-only modules (scaler, scheduler).
     */
    public void onLeadership(java.util.function.Consumer<Boolean> listener) {
        latch.addListener(new org.apache.curator.framework.recipes.leader.LeaderLatchListener() {
            @Override
            public void isLeader() {
                listener.accept(true);
            }

            @Override
            public void notLeader() {
                listener.accept(false);
            }
        }, leadership);
        if (latch.hasLeadership()) {
            listener.accept(true);
        }
    }

    /**
     * The current leader's node id, when one is known: the latch participant with the lowest sequence number in
     * the in-memory mirror of {@code leader/} (never waits for ZooKeeper; while it is unreachable, the last known).
     */
    public Optional<String> leaderId() {
        String prefix = paths.leader() + "/";
        return leaderCache.stream()
                .filter(d -> d.getPath().startsWith(prefix) && d.getPath().lastIndexOf('-') > prefix.length())
                .min(java.util.Comparator.comparing((ChildData d) -> d.getPath().substring(d.getPath().lastIndexOf('-') + 1)))
                .map(d -> new String(d.getData(), java.nio.charset.StandardCharsets.UTF_8))
                .filter(id -> !id.isEmpty());
    }

    /**
     * The nodes registered in this region, from the in-memory mirror of {@code nodes/} (never waits for ZooKeeper;
     * while it is unreachable, the last known registrations).
     */
    public List<NodeInfo> nodes() {
        List<NodeInfo> out = new ArrayList<>();
        String prefix = paths.nodes() + "/";
        nodeCache.stream().filter(d -> d.getPath().startsWith(prefix) && d.getPath().indexOf('/', prefix.length()) < 0)
                .sorted(java.util.Comparator.comparing(ChildData::getPath)).forEach(d -> {
                    try {
                        out.add(Json.read(d.getData(), NodeInfo.class));
                    } catch (RuntimeException e) {
                        LOG.log(Level.FINE, "ignoring unreadable registration " + d.getPath(), e);
                    }
                });
        return out;
    }

    /**
     * Runs one ZooKeeper operation for {@code what}, failing with a {@link ClusterException} that says why when it
     * does not finish within {@code cluster.operation-timeout} (Curator itself would retry far longer).
     */
    <T> T bounded(String what, java.util.concurrent.Callable<T> op) {
        awaitConnected(what);
        java.util.concurrent.FutureTask<T> task = new java.util.concurrent.FutureTask<>(op);
        Thread.ofVirtual().name("nest-zk-op").start(task);
        try {
            return task.get(opTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            task.cancel(true);
            throw new ClusterException("cannot " + what + " within cluster.operation-timeout (" + opTimeout.toMillis()
                    + " ms): ZooKeeper did not answer; the cluster is " + state + ", see GET /api/v1/cluster", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ClusterException ce) {
                throw ce;
            }
            throw new ClusterException("cannot " + what + ": " + c.getMessage(), c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted while trying to " + what, e);
        }
    }

    /**
     * The registered nodes ({@code GET /api/v1/nodes}), each as it registered plus what it last published:
     * {@code pools} (ready generic pods per runtime) and {@code packages} (how many code packages it has
     * unpacked); with {@code holding}, only the nodes that have that package unpacked.
     */
    public com.fasterxml.jackson.databind.node.ArrayNode describeNodes(Optional<String> holding) {
        var out = Json.mapper().createArrayNode();
        for (NodeInfo info : nodes()) {
            Set<String> packages = cached.of(info.id());
            if (holding.isPresent() && !packages.contains(holding.get())) {
                continue;
            }
            var n = (com.fasterxml.jackson.databind.node.ObjectNode) Json.mapper().valueToTree(info);
            n.set("pools", Json.mapper().valueToTree(new java.util.TreeMap<>(ready.pools(info.id()))));
            n.put("packages", packages.size());
            out.add(n);
        }
        return out;
    }

    /** A raw read used for diagnostics ({@code GET /api/v1/cluster}). */
    public JsonNode describe() {
        var n = Json.mapper().createObjectNode();
        n.put("region", self.region());
        n.put("state", state.name());
        n.put("node", self.id());
        n.put("leader", leaderId().orElse(""));
        n.put("isLeader", isLeader());
        n.put("epoch", epoch().orElse(-1));
        n.set("nodes", describeNodes(Optional.empty()));
        // the routing table as this node's gateway sees it (its last known content while DEGRADED)
        n.set("ready", Json.mapper().valueToTree(ready.documents()));
        // what the leader placed on each node: {node: {"<ns>/<name>": {instances, version, epoch}}}
        var placed = Json.mapper().createObjectNode();
        placements.all().forEach((node, ps) -> {
            var m = placed.putObject(node);
            ps.forEach((id, p) -> m.set(id.toString(), Json.mapper().valueToTree(p)));
        });
        n.set("placements", placed);
        return n;
    }

    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        try {
            latch.close(LeaderLatch.CloseMode.NOTIFY_LEADER);
        } catch (Exception e) {
            LOG.log(Level.FINE, "leader latch close", e);
        }
        ready.close();
        cached.close();
        nodeCache.close();
        leaderCache.close();
        placements.close();
        try {
            registration.close();
        } catch (Exception e) {
            LOG.log(Level.FINE, "registration close", e);
        }
        registry.close();
        leadership.shutdownNow();
        client.close();
    }
}
