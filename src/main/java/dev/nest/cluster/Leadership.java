package dev.nest.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * This node's part in the leader election of its region: the leader latch, the region's epoch this node claims when
 * it wins, and the writes only the leader may make ({@link #writeAsLeader}, {@link #deleteAsLeader}), fenced by that
 * epoch.
 *
 * <p>Lifecycle, as Curator's {@code LeaderLatch}: {@link State#LATENT} after construction, {@link State#STARTED} after
 * {@link #start} (this node joins the election), {@link State#CLOSED} after {@link #close} (it leaves the election; a
 * leader gives up its leadership and its listeners hear {@code false}). Neither can be undone.
 *
 * <p>Fencing: when this node wins, it increments the region's epoch (the data version of {@code epoch}) and keeps the
 * new value; every leader write is one transaction with a check of that version. A leader that lost its session
 * while partitioned (and so its leadership) cannot write after a successor claimed a newer epoch: the write fails,
 * and this node forgets its epoch.
 *
 * <p>Threads: the latch's callbacks, the epoch claim and every {@link #onLeadership} listener run on one daemon
 * thread, {@code nest-leadership}, never on a Curator thread (claiming the epoch is a blocking write, and Curator
 * delivers connection changes on the thread that tells the latch). {@link #writeAsLeader} and {@link #deleteAsLeader}
 * block the calling thread on ZooKeeper. {@link #isLeader}, {@link #epoch} and {@link #leaderId} read memory and may
 * be called from any thread; {@link #leaderId} answers from a mirror of {@code leader/}, the last known while
 * ZooKeeper is unreachable.
 */
public final class Leadership implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Leadership.class.getName());

    /** Where this node is in its lifecycle. */
    public enum State { LATENT, STARTED, CLOSED }

    private final CuratorFramework client;
    private final ZooKeeperPaths paths;
    private final NodeInfo self;
    private final Supplier<Cluster.State> connection;
    private final LeaderLatch latch;
    private final CuratorCache leaderCache;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("nest-leadership").unstarted(r));
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final Object claimed = new Object();
    /** The region's leader epoch this node won, or -1 while it is not the leader. */
    private volatile int epoch = -1;

    Leadership(CuratorFramework client, ZooKeeperPaths paths, NodeInfo self, Supplier<Cluster.State> connection) {
        this.client = client;
        this.paths = paths;
        this.self = self;
        this.connection = connection;
        this.latch = new LeaderLatch(client, paths.leader(), self.id());
        this.leaderCache = CuratorCache.build(client, paths.leader());
        this.latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                claimEpoch();
            }

            @Override
            public void notLeader() {
                epoch = -1;
            }
        }, thread);
    }

    /** Loads the mirror of {@code leader/}, waiting at most {@code timeout}; before {@link #start}. */
    void load(Duration timeout) throws Exception {
        Cluster.primed(leaderCache, "leader", timeout);
    }

    /**
     * Joins the election.
     *
     * @throws IllegalStateException when it was started or closed before
     */
    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("leadership is " + state.get() + "; it starts once");
        }
        try {
            latch.start();
        } catch (Exception e) {
            throw new ClusterException("cannot join the leader election of region " + self.region() + ": " + e.getMessage(), e);
        }
    }

    public State state() {
        return state.get();
    }

    /**
     * Waits until this node leads and has claimed its epoch, at most {@code timeout}.
     *
     * @return whether it does; {@code false} when the time ran out, the thread was interrupted or this is closed
     */
    public boolean await(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (claimed) {
            while (epoch().isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || state.get() == State.CLOSED) {
                    return false;
                }
                try {
                    claimed.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Called when this node wins the election: increments the region's epoch ({@code epoch}'s data version) and
     * keeps the new value. Every leader write checks it.
     */
    synchronized void claimEpoch() {
        try {
            client.createContainers(paths.root());
            try {
                client.create().forPath(paths.epoch(), new byte[0]);
            } catch (KeeperException.NodeExistsException exists) {
                // claimed before
            }
            Stat stat = client.setData().forPath(paths.epoch(), self.id().getBytes(StandardCharsets.UTF_8));
            epoch = stat.getVersion();
            LOG.info("node " + self.id() + " leads region " + self.region() + " at epoch " + epoch);
        } catch (Exception e) {
            epoch = -1;
            LOG.log(Level.WARNING, "cannot claim the leader epoch; leader-only writes are refused until it is claimed", e);
        }
        synchronized (claimed) {
            claimed.notifyAll();
        }
    }

    public boolean isLeader() {
        return latch.hasLeadership();
    }

    /** The epoch this node leads at, when it is the leader and has claimed one. */
    public Optional<Integer> epoch() {
        int e = epoch;
        return e >= 0 && latch.hasLeadership() ? Optional.of(e) : Optional.empty();
    }

    /**
     * The current leader's node id, when one is known: the latch participant with the lowest sequence number in
     * the in-memory mirror of {@code leader/} (never waits for ZooKeeper; while it is unreachable, the last known).
     */
    public Optional<String> leaderId() {
        String prefix = paths.leader() + "/";
        return leaderCache.stream()
                .filter(d -> d.getPath().startsWith(prefix) && d.getPath().lastIndexOf('-') > prefix.length())
                .min(Comparator.comparing((ChildData d) -> d.getPath().substring(d.getPath().lastIndexOf('-') + 1)))
                .map(d -> new String(d.getData(), StandardCharsets.UTF_8))
                .filter(id -> !id.isEmpty());
    }

    /** The paths of {@code nodeId}'s places in the election, from the mirror (for evicting a dead node). */
    List<String> participants(String nodeId) {
        String prefix = paths.leader() + "/";
        List<String> out = new ArrayList<>();
        leaderCache.stream().filter(d -> d.getPath().startsWith(prefix)).forEach(d -> {
            if (nodeId.equals(new String(d.getData() == null ? new byte[0] : d.getData(), StandardCharsets.UTF_8))) {
                out.add(d.getPath());
            }
        });
        return out;
    }

    /**
     * Calls {@code listener} with {@code true} when this node becomes the leader and {@code false} when it stops
     * being it, on the {@code nest-leadership} thread (after the epoch is claimed), never on a Curator thread: a
     * listener may block (stopping leader-only work writes to ZooKeeper, which waits while it is unreachable). At
     * once, on the calling thread, with {@code true} if this node already leads.
     */
    public void onLeadership(Consumer<Boolean> listener) {
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                listener.accept(true);
            }

            @Override
            public void notLeader() {
                listener.accept(false);
            }
        }, thread);
        if (latch.hasLeadership()) {
            listener.accept(true);
        }
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
        Cluster.State connected = connection.get();
        if (e < 0 || !latch.hasLeadership() || connected != Cluster.State.CONNECTED) {
            throw new ClusterException("node " + self.id() + " is not the leader of region " + self.region()
                    + " (leader: " + leaderId().orElse("none") + ", cluster " + connected + "); leader-only writes are refused", null);
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

    /** Leaves the election (a leader's listeners hear {@code false}) and stops the mirror. Idempotent. */
    @Override
    public void close() {
        State before = state.getAndSet(State.CLOSED);
        if (before == State.CLOSED) {
            return;
        }
        if (before == State.STARTED) {
            try {
                latch.close(LeaderLatch.CloseMode.NOTIFY_LEADER);
            } catch (Exception e) {
                LOG.log(Level.FINE, "leader latch close", e);
            }
        }
        leaderCache.close();
        synchronized (claimed) {
            claimed.notifyAll();
        }
        thread.shutdown(); // queued callbacks (a leader's last false) still run; a blocked one does not hold this back
    }
}
