package dev.nest.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import dev.nest.function.FunctionRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;

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
    private volatile State state = State.DEGRADED;

    private Cluster(CuratorFramework client, ZooKeeperPaths paths, NodeInfo self, Clock clock, Duration opTimeout) {
        this.client = client;
        this.paths = paths;
        this.self = self;
        this.registry = new ZooKeeperFunctionRegistry(client, paths, clock, opTimeout);
        this.latch = new LeaderLatch(client, paths.leader(), self.id());
        this.registration = new PersistentNode(client, CreateMode.EPHEMERAL, false, paths.node(self.id()), Json.bytes(self));
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
            cluster.registry.start();
            cluster.registration.start();
            cluster.latch.start();
        } catch (Exception e) {
            cluster.close();
            throw new ClusterException("cannot join the cluster at " + connectString + ": " + e.getMessage(), e);
        }
        return cluster;
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

    public boolean isLeader() {
        return latch.hasLeadership();
    }

    /**
     * Calls {@code listener} with {@code true} when this node becomes the leader and {@code false} when it stops
     * being it, on a Curator thread; at once with the current state if this node already leads. Used to run the
     * leader-only modules (scaler, scheduler).
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
        });
        if (latch.hasLeadership()) {
            listener.accept(true);
        }
    }

    /** The current leader's node id, when one is known. */
    public Optional<String> leaderId() {
        try {
            String id = latch.getLeader().getId();
            return id == null || id.isEmpty() ? Optional.empty() : Optional.of(id);
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /** The nodes currently registered in this region. */
    public List<NodeInfo> nodes() {
        List<NodeInfo> out = new ArrayList<>();
        try {
            for (String child : client.getChildren().forPath(paths.nodes())) {
                try {
                    byte[] data = client.getData().forPath(paths.node(child));
                    out.add(Json.read(data, NodeInfo.class));
                } catch (org.apache.zookeeper.KeeperException.NoNodeException gone) {
                    // left between the two reads
                }
            }
        } catch (Exception e) {
            throw new ClusterException("cannot list nodes: " + e.getMessage(), e);
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
        n.set("nodes", Json.mapper().valueToTree(state == State.CONNECTED ? nodes() : List.of()));
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
        try {
            registration.close();
        } catch (Exception e) {
            LOG.log(Level.FINE, "registration close", e);
        }
        registry.close();
        client.close();
    }
}
