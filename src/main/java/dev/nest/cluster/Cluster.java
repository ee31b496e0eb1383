package dev.nest.cluster;

import dev.nest.config.NestConfig;
import dev.nest.deploy.ArtifactHolders;
import dev.nest.function.FunctionRegistry;
import dev.nest.gateway.PeerRoutes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.cache.CuratorCacheListenerBuilder;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * This node's part in the cluster: the Curator client and its connection state, and the parts built on it:
 * {@link #leadership} (the leader latch, epoch and fenced writes), {@link #membership} (the node registrations and
 * evictions), the function registry, the ready-instance and cached-package documents every node publishes, and the
 * leader's placements.
 *
 * <p>Lifecycle: {@link #start} connects (waiting up to {@code cluster.connection-timeout}), loads every mirror,
 * registers the node and joins the leader election; {@link #close} leaves the election, removes the registration and
 * disconnects. When ZooKeeper becomes unreachable the node keeps serving from its last known state and {@link #state}
 * reports {@code DEGRADED}; Curator reconnects by itself.
 *
 * <p>Threads: reads ({@link #describe}, {@link #describeNodes}, {@link #warmPods} ...) answer from memory on any
 * thread; connection changes arrive on a Curator thread.
 */
public final class Cluster implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Cluster.class.getName());

    /** Connection state as the rest of Nest sees it. */
    public enum State { CONNECTED, DEGRADED, CLOSED }

    private final CuratorFramework client;
    private final ZooKeeperPaths paths;
    private final NodeInfo self;
    private final ZooKeeperFunctionRegistry registry;
    private final Leadership leadership;
    private final Membership membership;
    private final ReadyInstances ready;
    private final CachedPackages cached;
    private final ZooKeeperPlacements placements;
    private final ZooKeeperTriggerStates triggerStates;
    private final Duration opTimeout;
    private final ClusterCredential credential;
    private volatile State state = State.DEGRADED;

    private Cluster(CuratorFramework client, ZooKeeperPaths paths, NodeInfo self, Clock clock, Duration opTimeout,
                    ClusterCredential credential) {
        this.client = client;
        this.credential = credential;
        this.paths = paths;
        this.self = self;
        this.opTimeout = opTimeout;
        this.registry = new ZooKeeperFunctionRegistry(client, paths, clock, opTimeout);
        this.leadership = new Leadership(client, paths, self, this::state);
        this.membership = new Membership(client, paths, self, leadership);
        this.ready = new ReadyInstances(client, paths, self);
        this.cached = new CachedPackages(client, paths, self.id());
        this.placements = new ZooKeeperPlacements(this);
        this.triggerStates = new ZooKeeperTriggerStates(client, paths, leadership, this::state);
    }

    /**
     * Connects to {@code connectString} with {@code config}'s secret ({@code cluster.secret} or
     * {@code cluster.secret-file}, required here) and joins the cluster as {@code self}; see
     * {@link #start(String, NestConfig.Cluster, ClusterCredential, NodeInfo, Clock)}.
     */
    public static Cluster start(String connectString, NestConfig.Cluster config, NodeInfo self, Clock clock) {
        if (config.secret().isBlank() && config.secretFile().isBlank()) {
            throw new ClusterException("no cluster secret: set cluster.secret or cluster.secret-file", null);
        }
        return start(connectString, config, ClusterCredential.resolve(config, java.nio.file.Path.of(".")), self, clock);
    }

    /**
     * Connects to {@code connectString}, authenticated with {@code credential}, and joins the cluster as
     * {@code self}. Every znode this node creates is readable and writable only with the same credential; znodes an
     * older version left open get that rule now (see {@link ZooKeeperAcls#secure}).
     *
     * @throws ClusterException when ZooKeeper is unreachable, when the cluster's znodes were written with another
     *                          secret (the message says so), or when a mirror cannot load
     */
    public static Cluster start(String connectString, NestConfig.Cluster config, ClusterCredential credential,
                                NodeInfo self, Clock clock) {
        ZooKeeperAcls acls = new ZooKeeperAcls(credential);
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs((int) config.sessionTimeout().toMillis())
                .connectionTimeoutMs((int) config.connectionTimeout().toMillis())
                .retryPolicy(new ExponentialBackoffRetry(100, 29, 5_000))
                .authorization("digest", credential.zooKeeperAuth().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .aclProvider(acls.provider())
                .build();
        ZooKeeperPaths paths = new ZooKeeperPaths(self.region());
        Cluster cluster = new Cluster(client, paths, self, clock, config.operationTimeout(), credential);
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
            acls.secure(client, paths.root());
        } catch (ClusterException e) {
            cluster.close();
            throw e;
        } catch (Exception e) {
            cluster.close();
            throw new ClusterException("cannot check the access rules of the cluster's znodes at " + connectString
                    + ": " + e.getMessage(), e);
        }
        try {
            // the mirrors fill independently: read them all at once, then wait for each
            Duration timeout = config.operationTimeout();
            startTogether(List.of(
                    cluster.registry::start,
                    () -> cluster.ready.start(timeout),
                    () -> cluster.cached.start(timeout),
                    () -> cluster.membership.load(timeout),
                    () -> cluster.leadership.load(timeout),
                    () -> primed(cluster.placements.cache(), "placements", timeout)));
            cluster.membership.register(timeout);
            cluster.leadership.start();
        } catch (Exception e) {
            cluster.close();
            if (noAuth(e)) {
                throw ZooKeeperAcls.secretDiffers(paths.root());
            }
            throw new ClusterException("cannot join the cluster at " + connectString + ": " + e.getMessage(), e);
        }
        return cluster;
    }

    private static boolean noAuth(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.apache.zookeeper.KeeperException.NoAuthException) {
                return true;
            }
        }
        return false;
    }

    /** One step of joining, which may fail with any exception. */
    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /** Runs the steps at once, each on a virtual thread, waits for all, and throws the first failure in list order. */
    private static void startTogether(List<Step> steps) throws Exception {
        List<java.util.concurrent.Callable<Void>> calls = steps.stream().map(s -> (java.util.concurrent.Callable<Void>) () -> {
            s.run();
            return null;
        }).toList();
        try (java.util.concurrent.ExecutorService starts = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (java.util.concurrent.Future<Void> f : starts.invokeAll(calls)) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e.getCause());
                }
            }
        }
    }

    /** Starts {@code cache} and waits until it holds its whole subtree once. */
    static void primed(CuratorCache cache, String what, Duration timeout) throws Exception {
        primed(cache, CuratorCacheListener.builder(), what, timeout);
    }

    /**
     * Adds {@code listener} to {@code cache}, starts it and waits until it holds the whole tree.
     *
     * @throws IllegalStateException when the tree does not load within {@code timeout}
     */
    static void primed(CuratorCache cache, CuratorCacheListenerBuilder listener, String what, Duration timeout)
            throws Exception {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        cache.listenable().addListener(listener.forInitialized(done::countDown).build());
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

    /** The cluster's shared credential: what this node sends to its peers and checks on their calls. */
    public ClusterCredential credential() {
        return credential;
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

    /**
     * The ready instances every other node last published, per function version (this node's own are not among
     * them: its agent knows them first-hand). Read from memory; what a node started in the last
     * {@code ReadyInstances.PUBLISH_INTERVAL_MS} ms may be missing.
     */
    public List<ReadyCount> readyElsewhere() {
        List<ReadyCount> out = new java.util.ArrayList<>();
        ready.documents().forEach((node, doc) -> {
            if (node.equals(self.id()) || doc.instances() == null) {
                return;
            }
            for (ReadyDocument.Entry e : doc.instances()) {
                try {
                    out.add(new ReadyCount(dev.nest.function.FunctionId.parse(e.function()), e.version(), e.ready(),
                            e.inFlight()));
                } catch (IllegalArgumentException bad) {
                    // an entry that names no valid function is ignored, as the routing table does
                }
            }
        });
        return out;
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

    /** Triggers' stored state, written by the leader with fenced compare-and-set writes. */
    public dev.nest.trigger.TriggerStateStore triggerStates() {
        return triggerStates;
    }

    /** The region's placements: what the leader wants each node to run. */
    public ZooKeeperPlacements placements() {
        return placements;
    }

    /** The leader election: who leads, this node's epoch, and the writes only the leader may make. */
    public Leadership leadership() {
        return leadership;
    }

    /** The region's nodes: registrations, evictions, the leader's address. */
    public Membership membership() {
        return membership;
    }

    /** The nodes registered in this region; see {@link Membership#nodes}. */
    public List<NodeInfo> nodes() {
        return membership.nodes();
    }

    /** The current leader's node id, when one is known; see {@link Leadership#leaderId}. */
    public Optional<String> leaderId() {
        return leadership.leaderId();
    }

    /** Which nodes hold which packages, for the deployer and the code fetcher. */
    public ArtifactHolders artifactHolders() {
        return new ZooKeeperArtifactHolders(this);
    }

    /** Which package format this node writes for uploads, under {@code artifacts.package-format} {@code setting}. */
    public ClusterPackageFormat packageFormat(dev.nest.artifact.PackageFormats.Setting setting) {
        return new ClusterPackageFormat(this, setting);
    }

    ReadyInstances readyForTests() {
        return ready;
    }

    CachedPackages cachedForTests() {
        return cached;
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
    public List<NodeDescription> describeNodes(Optional<String> holding) {
        List<NodeDescription> out = new ArrayList<>();
        for (NodeInfo info : membership.nodes()) {
            Set<String> packages = cached.of(info.id());
            if (holding.isEmpty() || packages.contains(holding.get())) {
                out.add(NodeDescription.of(info, new TreeMap<>(ready.pools(info.id())), packages.size()));
            }
        }
        return out;
    }

    /** What this node knows of the region, for diagnostics ({@code GET /api/v1/cluster}); from memory. */
    public ClusterDescription describe() {
        Map<String, Map<String, NodePlacement>> placed = new LinkedHashMap<>();
        placements.all().forEach((node, ps) -> {
            Map<String, NodePlacement> m = new LinkedHashMap<>();
            ps.forEach((id, p) -> m.put(id.toString(), p));
            placed.put(node, m);
        });
        return new ClusterDescription(self.region(), state.name(), self.id(), leadership.leaderId().orElse(""),
                leadership.isLeader(), leadership.epoch().orElse(-1), describeNodes(Optional.empty()), ready.documents(),
                placed);
    }

    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        leadership.close();
        ready.close();
        cached.close();
        placements.close();
        membership.close();
        registry.close();
        client.close();
    }
}
