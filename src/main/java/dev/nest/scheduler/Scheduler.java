package dev.nest.scheduler;

import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import dev.nest.namespace.NamespaceUsage;
import dev.nest.namespace.QuotaCheck;
import dev.nest.namespace.QuotaExceeded;
import dev.nest.namespace.Quotas;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Applies the {@link Placement} decisions: keeps the table of placed instances, turns a function's desired count
 * into new placements or removals, and tells each node how many instances of the function it should run through
 * an {@link Applier} (on a single node: the local node agent, which starts the difference and drains the
 * surplus: idle instances stop at once, busy ones when their last request ends).
 *
 * <p>A count that does not fit is placed as far as it goes; the rest is reported: a log line and an event per
 * change of the shortfall, {@link #status} for the API, and the {@link #noCapacityEvents} counter. The next
 * {@link #scale} call tries again (nodes may have freed room).
 *
 * <p>Thread-safe: every method is serialized on this object. Limits: specs carry no CPU request yet, so
 * requests reserve {@code cpuMillis} from the constructor; per-instance load is not known here, so the removal
 * order among equal zones picks the most crowded node rather than the least loaded instance.
 */
public final class Scheduler {
    private static final Logger LOG = Logger.getLogger(Scheduler.class.getName());
    /** Events kept. */
    public static final int EVENTS_KEPT = 200;

    /** Where the nodes' capacities come from. */
    @FunctionalInterface
    public interface NodeSource {
        List<NodeState> nodes();
    }

    /** Tells a node how many instances of a function to run. */
    public interface Applier {
        void apply(String nodeId, FunctionId id, int instances);

        /** The node is no longer steered for {@code id}. */
        void release(String nodeId, FunctionId id);
    }

    /**
     * The scheduler's view of one function.
     *
     * @param wanted    the count asked for last
     * @param placed    instances placed now
     * @param perNode   placed instances per node id
     * @param shortfall what could not be placed ({@code wanted - placed})
     * @param reason    the last placement or no-capacity reason
     * @param at        when the last change was made
     */
    public record Status(int wanted, int placed, Map<String, Integer> perNode, int shortfall, String reason, Instant at) {
        public Status {
            perNode = Map.copyOf(perNode);
        }
    }

    /**
     * One change the scheduler made or could not make.
     *
     * @param at     when
     * @param id     the function
     * @param kind   {@code placed}, {@code removed} or {@code no-capacity}
     * @param nodeId the node (empty for no-capacity)
     * @param reason why
     */
    public record Event(Instant at, FunctionId id, String kind, String nodeId, String reason) {
    }

    private final FunctionCatalog catalog;
    private final NodeSource nodes;
    private final Applier applier;
    private final Clock clock;
    private final int cpuMillis;
    private final Quotas quotas;
    private final List<PlacedInstance> placed = new ArrayList<>();
    private final Map<FunctionId, Status> statuses = new HashMap<>();
    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private final AtomicLong noCapacity = new AtomicLong();
    /** Moves under way: the replacement is placed; the source goes once the replacement's node serves the function. */
    private final Map<FunctionId, Moving> moving = new HashMap<>();
    private final Map<FunctionId, Instant> lastMove = new HashMap<>();
    private long nextId;

    /** Between two moves of one function's instances at least this long passes. */
    public static final java.time.Duration MOVE_INTERVAL = java.time.Duration.ofSeconds(10);
    /** A replacement that does not serve within this long has its source removed anyway (it is placed all the same). */
    public static final java.time.Duration MOVE_TIMEOUT = java.time.Duration.ofSeconds(60);

    private record Moving(PlacedInstance from, String toNode, Instant since) {
    }

    public Scheduler(FunctionCatalog catalog, NodeSource nodes, Applier applier, int cpuMillis, Clock clock) {
        this(catalog, nodes, applier, cpuMillis, clock, Quotas.NONE);
    }

    /**
     * A scheduler that places no instance beyond its namespace's quota ({@code quota.instances}, {@code quota.memory}
     * over every placed instance of the namespace's functions): a count above it is placed up to the quota, the rest
     * reported as a shortfall naming the quota; a quota lowered below what is placed removes the surplus at the
     * function's next {@link #scale}.
     */
    public Scheduler(FunctionCatalog catalog, NodeSource nodes, Applier applier, int cpuMillis, Clock clock, Quotas quotas) {
        this(catalog, nodes, applier, cpuMillis, clock, quotas, Merging.DEPLOY_MERGED_ONLY);
    }

    /**
     * Whether a function version's next instance goes to a merged pod and how its runtime's merged pods are packed
     * (ADR 0025), as the scheduler counts them ({@link Placement#decide}).
     */
    public interface Merging {
        /** Whether the next instance of {@code v} goes to a merged pod. */
        boolean merged(FunctionVersion v);

        /** How merged pods of {@code runtime} are packed ({@link MergedShape#UNBOUNDED} when not known). */
        MergedShape shape(String runtime);

        /** Only {@code deploy: merged} functions, their pods' packing left to the node agents. */
        Merging DEPLOY_MERGED_ONLY = new Merging() {
            @Override
            public boolean merged(FunctionVersion v) {
                return v.spec().deploy() == dev.nest.function.DeployMode.MERGED;
            }

            @Override
            public MergedShape shape(String runtime) {
                return MergedShape.UNBOUNDED;
            }
        };

        /**
         * {@link #byTraffic} with the node agent's band ({@link Placement#remerge}): once a function's instances are
         * counted as merged they stay so until its traffic reaches {@code mergeBelow}, and once dedicated until it
         * falls under half of it, so that traffic near the threshold does not flip the count at every placement.
         * Remembers the last answer per function (thread-safe); {@code deploy: dedicated} and a runtime without a
         * merged host are never merged, {@code deploy: merged} always.
         */
        static Merging byTrafficWithBand(int mergeBelow, java.util.function.ToDoubleFunction<FunctionId> perMinute,
                                         java.util.function.Function<String, Optional<MergedShape>> shapes) {
            Map<FunctionId, Boolean> last = new java.util.concurrent.ConcurrentHashMap<>();
            return new Merging() {
                @Override
                public boolean merged(FunctionVersion v) {
                    dev.nest.function.DeployMode deploy = v.spec().deploy();
                    boolean canMerge = shapes.apply(v.spec().runtime()).isPresent();
                    double rate = perMinute.applyAsDouble(v.spec().id());
                    return last.compute(v.spec().id(), (id, before) -> {
                        if (deploy == dev.nest.function.DeployMode.DEDICATED || !canMerge) {
                            return false;
                        }
                        if (before == null) {
                            return Placement.mergeable(deploy, true, rate, mergeBelow);
                        }
                        return Placement.remerge(before, deploy, true, rate, mergeBelow).orElse(before);
                    });
                }

                @Override
                public MergedShape shape(String runtime) {
                    return shapes.apply(runtime).orElse(MergedShape.UNBOUNDED);
                }
            };
        }

        /**
         * {@code deploy: merged}, and {@code auto} while {@code perMinute} of the function is under {@code mergeBelow}
         * ({@link Placement#mergeable}); {@code shapes} gives a runtime's packing, empty for a runtime without a
         * merged host (never merged).
         */
        static Merging byTraffic(int mergeBelow, java.util.function.ToDoubleFunction<FunctionId> perMinute,
                                 java.util.function.Function<String, Optional<MergedShape>> shapes) {
            return new Merging() {
                @Override
                public boolean merged(FunctionVersion v) {
                    return Placement.mergeable(v.spec().deploy(), shapes.apply(v.spec().runtime()).isPresent(),
                            perMinute.applyAsDouble(v.spec().id()), mergeBelow);
                }

                @Override
                public MergedShape shape(String runtime) {
                    return shapes.apply(runtime).orElse(MergedShape.UNBOUNDED);
                }
            };
        }
    }

    private final Merging merging;

    /** A scheduler that places merged instances as {@code merging} says (ADR 0025). */
    public Scheduler(FunctionCatalog catalog, NodeSource nodes, Applier applier, int cpuMillis, Clock clock, Quotas quotas,
                     Merging merging) {
        this.merging = java.util.Objects.requireNonNull(merging, "merging");
        this.quotas = quotas;
        this.catalog = catalog;
        this.nodes = nodes;
        this.applier = applier;
        this.cpuMillis = cpuMillis;
        this.clock = clock;
    }

    /**
     * Makes {@code id}'s live version have {@code desired} placed instances (as many as fit) and applies the per-node
     * counts that changed.
     */
    public synchronized Status scale(FunctionId id, int desired) {
        Instant now = clock.instant();
        moving.remove(id); // the count is set anew: a move's extra instance is removed like any other
        Optional<FunctionVersion> live = catalog.get(id).flatMap(FunctionRecord::liveVersion);
        if (live.isEmpty()) {
            release(id);
            return new Status(desired, 0, Map.of(), desired, "no live version", now);
        }
        FunctionVersion v = live.get();
        Map<String, Integer> before = perNode(id);
        // another version's placements give way to the live one
        placed.removeIf(s -> s.id().equals(id) && s.version() != v.version());
        List<PlacedInstance> mine = mine(id);
        String reason = statuses.containsKey(id) ? statuses.get(id).reason() : "";
        int shortfall = 0;
        Optional<QuotaExceeded> overQuota = QuotaCheck.admit(id.namespace(), quotas.quota(id.namespace()),
                usageOfOthers(id), desired, v.spec().memoryMb(), "placing " + desired + " instance(s) of " + id);
        int wanted = desired;
        if (overQuota.isPresent()) {
            desired = QuotaCheck.cap(quotas.quota(id.namespace()), usageOfOthers(id), v.spec().memoryMb(), wanted);
            shortfall = wanted - desired;
            reason = overQuota.get().detail();
            Status last = statuses.get(id);
            if (last == null || last.shortfall() != shortfall || !last.reason().equals(reason)) {
                event(now, id, "quota", "", shortfall + " of " + wanted + " not placed: " + reason);
                LOG.warning("scheduler: " + id + ": " + shortfall + " of " + wanted + " instance(s) not placed: " + reason);
            }
        }
        if (mine.size() < desired) {
            List<NodeState> all = nodes.nodes();
            PlacementRequest request = new PlacementRequest(id, v.version(), v.spec().runtime(), v.digest(), v.spec().memoryMb(), cpuMillis,
                    merging.merged(v), merging.shape(v.spec().runtime()));
            for (int i = mine.size(); i < desired; i++) {
                PlacementDecision d = Placement.decide(request, all, placed, merging::shape);
                if (d instanceof PlacementDecision.Placed p) {
                    PlacedInstance s = new PlacedInstance(id.name() + "-" + (++nextId), id, v.version(), p.node().id(), p.node().zone(),
                            request.memoryMb(), request.cpuMillis(), 0, false, request.merged(), request.runtime());
                    placed.add(s);
                    event(now, id, "placed", p.node().id(), p.reason());
                    reason = p.reason();
                } else {
                    shortfall = wanted - i;
                    Status last = statuses.get(id);
                    if (last == null || last.shortfall() != shortfall) {
                        noCapacity.incrementAndGet();
                        event(now, id, "no-capacity", "", shortfall + " of " + desired + " not placed: " + d.reason());
                        LOG.warning("scheduler: " + id + ": " + shortfall + " of " + desired + " instance(s) not placed: " + d.reason());
                    }
                    reason = d.reason();
                    break;
                }
            }
        } else if (mine.size() > desired) {
            for (PlacedInstance s : Placement.removalOrder(mine, mine.size() - desired)) {
                placed.remove(s);
                event(now, id, "removed", s.nodeId(), "desired " + desired + "; from the most crowded zone " + s.zone());
                reason = "removed down to " + desired;
            }
        }
        Map<String, Integer> after = perNode(id);
        for (Map.Entry<String, Integer> e : after.entrySet()) {
            if (!e.getValue().equals(before.get(e.getKey()))) {
                applier.apply(e.getKey(), id, e.getValue());
            }
        }
        for (String node : before.keySet()) {
            if (!after.containsKey(node)) {
                applier.apply(node, id, 0);
            }
        }
        if (desired == 0 && before.isEmpty() && !statuses.containsKey(id)) {
            // tell the local view at least once, so that a function never scaled up is steered too
            for (NodeState n : nodes.nodes()) {
                applier.apply(n.id(), id, 0);
            }
        }
        if (overQuota.isPresent()) {
            reason = overQuota.get().detail();
        }
        Status st = new Status(wanted, mine(id).size(), after, shortfall, reason, now);
        statuses.put(id, st);
        return st;
    }

    /**
     * Evens out the spread of placed functions, gradually: a node that joined or came back gets instances of the
     * functions that are concentrated elsewhere. Per function at most one move per {@link #MOVE_INTERVAL}, chosen by
     * {@link Placement#rebalance}; a move first places the replacement (its node starts it) and only once that node
     * serves the function (or after {@link #MOVE_TIMEOUT}) lowers the source node's count, whose agent then drains
     * the surplus instance (idle at once, busy after its last request). Call it periodically (the leader does, every
     * second); it changes nothing while the spread is even.
     *
     * @return the functions for which a move was started or completed
     */
    public synchronized List<FunctionId> rebalance() {
        Instant now = clock.instant();
        List<NodeState> all = nodes.nodes();
        List<FunctionId> changed = new ArrayList<>();
        for (var it = moving.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            FunctionId id = e.getKey();
            Moving m = e.getValue();
            Optional<NodeState> target = all.stream().filter(n -> n.id().equals(m.toNode())).findFirst();
            if (!placed.contains(m.from()) || target.isEmpty()) {
                it.remove(); // scaled away, or the target left (its instances are placed again elsewhere)
                continue;
            }
            boolean serves = target.get().serving().contains(id);
            if (!serves && now.isBefore(m.since().plus(MOVE_TIMEOUT))) {
                continue;
            }
            it.remove();
            placed.remove(m.from());
            applier.apply(m.from().nodeId(), id, perNode(id).getOrDefault(m.from().nodeId(), 0));
            event(now, id, "removed", m.from().nodeId(), "moved to node " + m.toNode()
                    + (serves ? ", which serves it now" : ", which does not serve it after " + MOVE_TIMEOUT.toSeconds() + " s"));
            changed.add(id);
            refreshStatus(id, now, "moved an instance from node " + m.from().nodeId() + " to node " + m.toNode());
        }
        for (Map.Entry<FunctionId, Status> e : new ArrayList<>(statuses.entrySet())) {
            FunctionId id = e.getKey();
            Instant last = lastMove.get(id);
            if (e.getValue().wanted() == 0 || moving.containsKey(id) || last != null && now.isBefore(last.plus(MOVE_INTERVAL))) {
                continue;
            }
            Optional<FunctionVersion> live = catalog.get(id).flatMap(FunctionRecord::liveVersion);
            if (live.isEmpty()) {
                continue;
            }
            FunctionVersion v = live.get();
            PlacementRequest request = new PlacementRequest(id, v.version(), v.spec().runtime(), v.digest(), v.spec().memoryMb(), cpuMillis,
                    merging.merged(v), merging.shape(v.spec().runtime()));
            Optional<Placement.Move> move = Placement.rebalance(request, all, placed.stream()
                    .filter(x -> !x.id().equals(id) || x.version() == v.version()).toList(), merging::shape);
            if (move.isEmpty()) {
                continue;
            }
            Placement.Move mv = move.get();
            placed.add(new PlacedInstance(id.name() + "-" + (++nextId), id, v.version(), mv.to().id(), mv.to().zone(),
                    request.memoryMb(), request.cpuMillis(), 0, false, request.merged(), request.runtime()));
            applier.apply(mv.to().id(), id, perNode(id).get(mv.to().id()));
            moving.put(id, new Moving(mv.from(), mv.to().id(), now));
            lastMove.put(id, now);
            event(now, id, "placed", mv.to().id(), "rebalancing: " + mv.reason());
            LOG.info("scheduler: " + id + ": moving an instance " + mv.reason());
            changed.add(id);
            refreshStatus(id, now, "rebalancing: " + mv.reason());
        }
        return changed;
    }

    private void refreshStatus(FunctionId id, Instant now, String reason) {
        Status last = statuses.get(id);
        if (last != null) {
            statuses.put(id, new Status(last.wanted(), mine(id).size(), perNode(id), last.shortfall(), reason, now));
        }
    }

    /** Forgets {@code id}'s placements and stops steering it on every node. */
    public synchronized void release(FunctionId id) {
        moving.remove(id);
        Map<String, Integer> before = perNode(id);
        placed.removeIf(s -> s.id().equals(id));
        statuses.remove(id);
        for (String node : before.keySet()) {
            applier.release(node, id);
        }
        for (NodeState n : nodes.nodes()) {
            if (!before.containsKey(n.id())) {
                applier.release(n.id(), id);
            }
        }
    }

    /**
     * Takes over {@code instances} placed instances of {@code id}'s live version on {@code nodeId}, as a new leader
     * finds them in the cluster, without applying anything; the next {@link #scale} starts from them. Ignored when
     * the node is not among {@link NodeSource#nodes} or the function has no live version.
     *
     * @return whether they were taken over
     */
    public synchronized boolean adopt(String nodeId, FunctionId id, int instances) {
        Optional<FunctionVersion> live = catalog.get(id).flatMap(FunctionRecord::liveVersion);
        Optional<NodeState> node = nodes.nodes().stream().filter(n -> n.id().equals(nodeId)).findFirst();
        if (live.isEmpty() || node.isEmpty()) {
            return false;
        }
        FunctionVersion v = live.get();
        placed.removeIf(s -> s.id().equals(id) && s.nodeId().equals(nodeId));
        for (int i = 0; i < instances; i++) {
            placed.add(new PlacedInstance(id.name() + "-" + (++nextId), id, v.version(), nodeId, node.get().zone(),
                    v.spec().memoryMb(), cpuMillis, 0, false, merging.merged(v), v.spec().runtime()));
        }
        return true;
    }

    /**
     * {@code nodeId} is gone (its registration expired): forgets its instances, releases the node for each function
     * it held, and places each such function's last wanted count again on the nodes left ({@link NodeSource} no
     * longer lists the dead node), other zones first by the usual spreading.
     *
     * @return the functions that had instances on the node
     */
    public synchronized List<FunctionId> nodeLost(String nodeId) {
        List<FunctionId> affected = placed.stream().filter(s -> s.nodeId().equals(nodeId)).map(PlacedInstance::id).distinct().toList();
        Instant now = clock.instant();
        placed.removeIf(s -> s.nodeId().equals(nodeId));
        for (FunctionId id : affected) {
            event(now, id, "removed", nodeId, "node " + nodeId + " left the cluster");
            applier.release(nodeId, id);
            Status last = statuses.get(id);
            if (last != null) {
                scale(id, last.wanted());
            }
        }
        return affected;
    }

    /**
     * Tries again to place every function whose last count did not fit (nodes may have joined or freed room since);
     * the scaler only calls {@link #scale} when its desired count changes.
     *
     * @return the functions tried
     */
    public synchronized List<FunctionId> retryShortfalls() {
        List<FunctionId> shortOnes = statuses.entrySet().stream().filter(e -> e.getValue().shortfall() > 0)
                .map(Map.Entry::getKey).sorted().toList();
        for (FunctionId id : shortOnes) {
            scale(id, statuses.get(id).wanted());
        }
        return shortOnes;
    }

    public synchronized Optional<Status> status(FunctionId id) {
        return Optional.ofNullable(statuses.get(id));
    }

    /** Placed instances, all functions. */
    public synchronized List<PlacedInstance> instances() {
        return List.copyOf(placed);
    }

    /** Recent events, oldest first. */
    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    /** How many times a function's count could not be placed in full (a counter for monitoring). */
    public long noCapacityEvents() {
        return noCapacity.get();
    }

    /** What the other functions of {@code id}'s namespace hold among the placed instances, draining ones included. */
    private NamespaceUsage usageOfOthers(FunctionId id) {
        NamespaceUsage u = NamespaceUsage.NONE;
        for (PlacedInstance s : placed) {
            if (s.id().namespace().equals(id.namespace()) && !s.id().equals(id)) {
                u = u.plus(1, s.memoryMb());
            }
        }
        return u;
    }

    private List<PlacedInstance> mine(FunctionId id) {
        return placed.stream().filter(s -> s.id().equals(id)).toList();
    }

    private Map<String, Integer> perNode(FunctionId id) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (PlacedInstance s : placed) {
            if (s.id().equals(id)) {
                m.merge(s.nodeId(), 1, Integer::sum);
            }
        }
        return m;
    }

    private void event(Instant at, FunctionId id, String kind, String nodeId, String reason) {
        events.addLast(new Event(at, id, kind, nodeId, reason));
        while (events.size() > EVENTS_KEPT) {
            events.removeFirst();
        }
    }
}
