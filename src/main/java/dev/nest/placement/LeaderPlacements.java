package dev.nest.placement;

import dev.nest.function.FunctionId;
import dev.nest.scheduler.NodeState;
import dev.nest.scheduler.PlacedInstance;
import dev.nest.scheduler.Scheduler;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The leader's side of the placements: the {@link Scheduler}'s node source (the live registered nodes) and its
 * applier (each node's count written to the {@link PlacementStore}; this node's own count also set on the local
 * node agent at once, so a single node reacts as fast as without a cluster).
 *
 * <p>{@link #takeOver} (on winning the election) adopts the placements a previous leader wrote, so that nothing
 * is placed twice. {@link #sync} (every second while leading, and at once when the node registrations change)
 * re-places the instances of nodes that left (their registration expired) on the nodes left, tries again the counts
 * that did not fit (a node may have joined), moves instances of unevenly spread functions onto nodes that joined or
 * returned ({@link Scheduler#rebalance}: one move per function at a time, the old instance drained once the new one
 * serves), and then makes the
 * store equal the scheduler's table: a write that failed (ZooKeeper unreachable, epoch not claimed yet) is
 * repaired there, and a dead node's placements are deleted.
 *
 * <p>Threads: {@link #apply}/{@link #release} run on the scheduler's callers; {@link #takeOver} and {@link #sync}
 * on this component's thread ({@code nest-leader-placements}) once {@link #start}ed. Store failures are logged,
 * never thrown to the scheduler.
 */
public final class LeaderPlacements implements Scheduler.NodeSource, Scheduler.Applier, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LeaderPlacements.class.getName());

    private final String self;
    private final Supplier<List<NodeState>> live;
    private final PlacementStore store;
    private final Targets local;
    private final BooleanSupplier leading;
    private volatile Scheduler scheduler;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("nest-leader-placements").unstarted(r));

    /**
     * @param self    this node's id
     * @param live    the registered nodes with their capacity (from the in-memory mirror; must not block)
     * @param store   where placements are written
     * @param local   this node's agent
     * @param leading whether this node leads now and may write (its leader epoch is claimed)
     */
    public LeaderPlacements(String self, Supplier<List<NodeState>> live, PlacementStore store, Targets local,
                            BooleanSupplier leading) {
        this.self = self;
        this.live = live;
        this.store = store;
        this.local = local;
        this.leading = leading;
    }

    /** The scheduler this applies for (it is built with this object, so it comes after). */
    public void attach(Scheduler s) {
        this.scheduler = s;
    }

    /** Runs {@link #sync} every second while this node leads. */
    public void start() {
        thread.scheduleWithFixedDelay(() -> {
            if (leading.getAsBoolean()) {
                safely(this::sync);
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    /** Node registrations changed: sync soon (if leading). Never blocks. */
    public void nodesChanged() {
        submit(() -> {
            if (leading.getAsBoolean()) {
                sync();
            }
        });
    }

    /** Runs {@code then} after {@link #takeOver} on this component's thread (on winning the election). */
    public void leadershipWon(Runnable then) {
        submit(() -> {
            try {
                takeOver();
            } finally {
                then.run(); // the scaler runs even if the take-over failed: sync repairs the placements later
            }
        });
    }

    private void submit(Runnable r) {
        try {
            thread.execute(() -> safely(r));
        } catch (RejectedExecutionException closed) {
            // closing
        }
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "placements: " + e.getMessage() + "; retrying in a second", e);
        }
    }

    @Override
    public List<NodeState> nodes() {
        return live.get();
    }

    @Override
    public void apply(String nodeId, FunctionId id, int instances) {
        if (nodeId.equals(self)) {
            local.setTarget(id, instances);
        }
        try {
            if (instances > 0) {
                store.write(nodeId, id, instances);
            } else {
                store.delete(nodeId, id);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "placement of " + id + " on " + nodeId + " not written yet: " + e.getMessage(), e);
        }
    }

    @Override
    public void release(String nodeId, FunctionId id) {
        if (nodeId.equals(self)) {
            local.clearTarget(id);
        }
        try {
            store.delete(nodeId, id);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "placement of " + id + " on " + nodeId + " not deleted yet: " + e.getMessage(), e);
        }
    }

    /**
     * Adopts the stored placements on live nodes into the scheduler; placements on other nodes are re-placed and
     * deleted by the next {@link #sync} (once this node's epoch is claimed: writes need it).
     */
    public void takeOver() {
        Scheduler s = scheduler;
        Set<String> alive = aliveIds();
        for (Map.Entry<String, Map<FunctionId, Integer>> node : store.all().entrySet()) {
            if (!alive.contains(node.getKey())) {
                continue;
            }
            node.getValue().forEach((id, n) -> s.adopt(node.getKey(), id, n));
        }
        LOG.info("leader placements: took over " + s.instances().size() + " placed instance(s)");
    }

    /**
     * Re-places instances of nodes that are gone, retries shortfalls, then makes the store equal the scheduler's table (held still
     * meanwhile, so no placement is deleted while it is being made).
     */
    public void sync() {
        Scheduler s = scheduler;
        Set<String> alive = aliveIds();
        Map<String, Map<FunctionId, Integer>> stored = store.all();
        Set<String> lost = new HashSet<>();
        for (PlacedInstance sb : s.instances()) {
            if (!alive.contains(sb.nodeId())) {
                lost.add(sb.nodeId());
            }
        }
        for (String node : stored.keySet()) {
            if (!alive.contains(node)) {
                lost.add(node);
            }
        }
        for (String node : lost) {
            List<FunctionId> moved = s.nodeLost(node);
            if (!moved.isEmpty()) {
                LOG.info("node " + node + " left: re-placed " + moved);
            }
        }
        s.retryShortfalls();
        s.rebalance();
        synchronized (s) {
            Map<String, Map<FunctionId, Integer>> table = new HashMap<>();
            for (PlacedInstance sb : s.instances()) {
                table.computeIfAbsent(sb.nodeId(), k -> new HashMap<>()).merge(sb.id(), 1, Integer::sum);
            }
            for (Map.Entry<String, Map<FunctionId, Integer>> node : table.entrySet()) {
                Map<FunctionId, Integer> have = stored.getOrDefault(node.getKey(), Map.of());
                node.getValue().forEach((id, n) -> {
                    if (!n.equals(have.get(id))) {
                        store.write(node.getKey(), id, n);
                    }
                });
            }
            for (Map.Entry<String, Map<FunctionId, Integer>> node : stored.entrySet()) {
                Map<FunctionId, Integer> want = table.getOrDefault(node.getKey(), Map.of());
                for (FunctionId id : node.getValue().keySet()) {
                    if (!want.containsKey(id)) {
                        store.delete(node.getKey(), id);
                    }
                }
            }
        }
    }

    private Set<String> aliveIds() {
        Set<String> out = new HashSet<>();
        for (NodeState n : live.get()) {
            out.add(n.id());
        }
        return out;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
