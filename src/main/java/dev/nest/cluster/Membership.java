package dev.nest.cluster;

import dev.nest.common.Json;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * The nodes of the region: this node's registration ({@code nodes/<id>}, ephemeral, written again by Curator under a
 * new session after an expiry), an in-memory mirror of everyone's, and the eviction of a node known to be dead.
 *
 * <p>Lifecycle: built and started by {@link Cluster#start} (the mirror loads, then this node registers, without
 * {@link NodeInfo#LISTENING}; once its own public port accepts a connection, {@link ListenWatch} has the registration
 * rewritten with it, so that peers' probes judge its refusals without a start grace) and closed by {@link Cluster#close}
 * (the registration is removed).
 *
 * <p>Threads: {@link #nodes} and {@link #leaderUrl} read the mirror from any thread and never wait for ZooKeeper
 * (while it is unreachable they answer with the last known registrations). {@link #onNodesChanged} listeners run on
 * a Curator thread and must not block. {@link #evict} blocks on ZooKeeper.
 */
public final class Membership {
    private static final Logger LOG = Logger.getLogger(Membership.class.getName());
    /** How often and how long this node tries its own port after registering ({@link ListenWatch}). */
    static final Duration LISTEN_CHECK = Duration.ofMillis(20);
    static final Duration LISTEN_GIVE_UP = Duration.ofMinutes(2);

    private final CuratorFramework client;
    private final ZooKeeperPaths paths;
    private final NodeInfo self;
    private final Leadership leadership;
    private final PersistentNode registration;
    private final CuratorCache nodeCache;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final ListenWatch listenWatch;

    Membership(CuratorFramework client, ZooKeeperPaths paths, NodeInfo self, Leadership leadership) {
        this.client = client;
        this.paths = paths;
        this.self = self;
        this.leadership = leadership;
        // registered as not listening yet, whatever the caller's labels say: only the listen watch says it does
        this.registration = new PersistentNode(client, CreateMode.EPHEMERAL, false, paths.node(self.id()),
                Json.bytes(self.withListening(false)));
        this.listenWatch = new ListenWatch(self.address() + ":" + self.port(),
                () -> PortAnswer.tcp(self.address(), self.port(), LISTEN_CHECK.multipliedBy(5)) == PortAnswer.ACCEPTED,
                this::announceListening, LISTEN_CHECK, LISTEN_GIVE_UP, System::nanoTime);
        this.nodeCache = CuratorCache.build(client, paths.nodes());
        this.nodeCache.listenable().addListener(CuratorCacheListener.builder().forAll((type, before, after) -> {
            for (Runnable l : listeners) {
                try {
                    l.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "node listener failed", e);
                }
            }
        }).build());
    }

    /** Loads the mirror of {@code nodes/}, waiting at most {@code timeout}. */
    void load(Duration timeout) throws Exception {
        Cluster.primed(nodeCache, "nodes", timeout);
    }

    /**
     * Registers this node and waits at most {@code timeout} for the registration to be written, so that a node that
     * has started is one its peers can see. Past the timeout Curator goes on writing it in the background (a warning
     * says so): the node still starts, as it would when its session is re-established later.
     */
    void register(Duration timeout) throws InterruptedException {
        registration.start();
        if (!registration.waitForInitialCreate(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            LOG.warning("the registration of node " + self.id() + " was not written within " + timeout.toMillis()
                    + " ms; it is written once ZooKeeper answers");
        }
        listenWatch.start();
    }

    /**
     * Rewrites this node's registration with {@link NodeInfo#LISTENING} once its port has accepted a connection (on
     * the listen watch's thread; waits for the first write of the registration if ZooKeeper has not answered yet).
     * Curator keeps the new content and writes it again after a session expiry.
     */
    private void announceListening() {
        try {
            while (!registration.waitForInitialCreate(1, TimeUnit.SECONDS)) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
            registration.setData(Json.bytes(self.withListening(true)));
            LOG.info("node " + self.id() + " listens on " + self.address() + ":" + self.port()
                    + ": its registration says so");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "cannot write that node " + self.id() + " listens (its peers keep the start grace): "
                    + e, e);
        }
    }

    public NodeInfo self() {
        return self;
    }

    /**
     * The nodes registered in this region, from the in-memory mirror of {@code nodes/} (never waits for ZooKeeper;
     * while it is unreachable, the last known registrations), ordered by id.
     */
    public List<NodeInfo> nodes() {
        List<NodeInfo> out = new ArrayList<>();
        String prefix = paths.nodes() + "/";
        nodeCache.stream().filter(d -> d.getPath().startsWith(prefix) && d.getPath().indexOf('/', prefix.length()) < 0)
                .sorted(Comparator.comparing(ChildData::getPath)).forEach(d -> {
                    try {
                        NodeInfo n = Json.read(d.getData(), NodeInfo.class);
                        String id = d.getPath().substring(prefix.length());
                        if (n.id() == null || !n.id().equals(id)) {
                            LOG.log(Level.FINE, "ignoring registration " + d.getPath() + " that names node " + n.id());
                            return;
                        }
                        out.add(n);
                    } catch (RuntimeException e) {
                        LOG.log(Level.FINE, "ignoring unreadable registration " + d.getPath(), e);
                    }
                });
        return out;
    }

    /**
     * Every registration in the mirror by node id, as its raw bytes, readable or not (for decisions that must count
     * a node whose registration they cannot read, such as {@link ClusterPackageFormat}).
     */
    java.util.Map<String, byte[]> registrations() {
        java.util.Map<String, byte[]> out = new java.util.TreeMap<>();
        String prefix = paths.nodes() + "/";
        nodeCache.stream().filter(d -> d.getPath().startsWith(prefix) && d.getPath().indexOf('/', prefix.length()) < 0)
                .forEach(d -> out.put(d.getPath().substring(prefix.length()), d.getData() == null ? new byte[0] : d.getData()));
        return out;
    }

    /** The registered node {@code id}, if it is registered. */
    public Optional<NodeInfo> node(String id) {
        return nodes().stream().filter(n -> n.id().equals(id)).findFirst();
    }

    /** The leader's base URL ({@link NodeInfo#url}: {@code http(s)://address:port}), when a leader other than this node is registered. */
    public Optional<URI> leaderUrl() {
        return leadership.leaderId().filter(id -> !id.equals(self.id())).flatMap(this::node)
                .map(n -> URI.create(n.url()));
    }

    /**
     * Calls {@code listener} after every change of the node registrations (a node joined, left, or its session
     * expired), on a Curator thread; it must not block.
     */
    public void onNodesChanged(Runnable listener) {
        listeners.add(listener);
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
            List<String> paths = new ArrayList<>(List.of(this.paths.ready(nodeId), this.paths.node(nodeId)));
            paths.addAll(leadership.participants(nodeId));
            for (String path : paths) {
                if (deleteIfPresent(path)) {
                    gone.add(path);
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

    /** Stops the mirror and removes this node's registration. */
    void close() {
        listenWatch.close();
        nodeCache.close();
        try {
            registration.close();
        } catch (Exception e) {
            LOG.log(Level.FINE, "registration close", e);
        }
    }
}
