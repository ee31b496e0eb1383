package dev.nest.scheduler;

import dev.nest.function.DeployMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The scheduler's pure decisions, table-tested and free of I/O.
 *
 * <p>Placing ({@link #decide}): only nodes with the request's memory and CPU free and a pod slot left qualify
 * (usage is the sum of the instances placed there, draining ones included, as they still hold their memory). An
 * instance bound for a merged pod ({@link #mergeable}) counts by its own memory, and needs a pod slot only when the
 * node's merged pods of its runtime, packed as the request's {@link MergedShape} says ({@link #mergedPods}: at most
 * {@code max-functions} per pod, by memory, never mixing namespaces unless allowed), need one more for it.
 * Among them: the zone with the fewest instances of the function first, then the node with the fewest, then (for a
 * merged instance) a node where it joins a merged pod rather than opening one, then a node
 * that already has a ready instance of the function (the placement adopts it: nothing starts), then one with a warm
 * pool pod of the runtime, then one with the package cached, then the most free memory, then the
 * node id (so equal inputs give equal answers). No qualifying node gives {@link PlacementDecision.NoCapacity}
 * with a reason naming the request and the most any node has free.
 *
 * <p>Rebalancing ({@link #rebalance}): one move at a time from the most crowded place to where a new one would go,
 * when that strictly evens the spread out.
 *
 * <p>Removing ({@link #nextToRemove}, {@link #removalOrder}): the mirror image: from the zone with the most
 * instances of the function, the least loaded instance (fewest requests in flight), then the one on the node with
 * the most instances, then the newest id. Draining instances are already on their way out and are not chosen again.
 */
public final class Placement {
    private Placement() {
    }

    /**
     * Whether an instance of a function goes to a merged pod: never for {@code deploy: dedicated} or a runtime
     * without a merged host; always for {@code merged}; for {@code auto} while its requests over the last minute are
     * under {@code mergeBelow} (0: auto is dedicated).
     */
    public static boolean mergeable(DeployMode deploy, boolean runtimeCanMerge, double perMinute, int mergeBelow) {
        if (deploy == DeployMode.DEDICATED || !runtimeCanMerge) {
            return false;
        }
        // mergeBelow 0 with auto: perMinute < 0 is never true, so auto is dedicated
        return deploy == DeployMode.MERGED || perMinute < mergeBelow;
    }

    /**
     * Whether a placed instance of a function should change placement, with the node agent's band
     * ({@code sidecar.AutoMoves}): {@code false} (to a pod of its own) when it is merged and its requests over the last
     * minute reached {@code mergeBelow}; {@code true} (into a merged pod) when it is dedicated and they fell under half
     * of it; empty when it stays. {@code deploy: dedicated}, runtimes without a merged host and {@code mergeBelow} 0
     * never move an instance; a {@code deploy: merged} instance outside a merged pod moves into one. The band keeps traffic near the threshold from moving an instance back and forth.
     */
    public static Optional<Boolean> remerge(boolean merged, DeployMode deploy, boolean runtimeCanMerge, double perMinute,
                                            int mergeBelow) {
        return remerge(merged, deploy, runtimeCanMerge, MergeDemand.rate(perMinute), mergeBelow, 0);
    }

    /**
     * A function's recent demand, as {@code deploy: auto} weighs it: its requests over the last minute, and the requests
     * it had in flight on average over that minute (their summed duration over the minute; negative when not known,
     * as for the leader, which counts requests only).
     */
    public record MergeDemand(double perMinute, double inFlight) {
        /** A demand of which only the rate is known. */
        public static MergeDemand rate(double perMinute) {
            return new MergeDemand(perMinute, -1);
        }
    }

    /**
     * Whether an auto function with {@code demand} needs pods of its own: its rate reached {@code mergeBelow} and,
     * when {@code inFlightBelow} is positive and its in-flight average is known, that average reached
     * {@code inFlightBelow} too (what one merged worker cannot carry). {@code mergeBelow} 0 is never busy here (the
     * callers treat it as auto merging off).
     */
    static boolean needsOwnPods(MergeDemand demand, int mergeBelow, double inFlightBelow) {
        if (mergeBelow <= 0 || demand.perMinute() < mergeBelow) {
            return false;
        }
        return inFlightBelow <= 0 || demand.inFlight() < 0 || demand.inFlight() >= inFlightBelow;
    }

    /** The band's other edge: the rate under half of {@code mergeBelow}, or the known in-flight under half of its own. */
    static boolean quietEnough(MergeDemand demand, int mergeBelow, double inFlightBelow) {
        if (demand.perMinute() < mergeBelow / 2.0) {
            return true;
        }
        return inFlightBelow > 0 && demand.inFlight() >= 0 && demand.inFlight() < inFlightBelow / 2.0;
    }

    /**
     * {@link #mergeable(DeployMode, boolean, double, int)} weighing concurrency as well as rate: an {@code auto}
     * function is merged unless {@link #needsOwnPods}: with {@code inFlightBelow} positive (sidecar.merge-below-in-flight)
     * a function with many short requests stays merged until it keeps that many requests in flight on average; with 0,
     * the rate alone decides.
     */
    public static boolean mergeable(DeployMode deploy, boolean runtimeCanMerge, MergeDemand demand, int mergeBelow,
                                    double inFlightBelow) {
        if (deploy == DeployMode.DEDICATED || !runtimeCanMerge) {
            return false;
        }
        return deploy == DeployMode.MERGED || (mergeBelow > 0 && !needsOwnPods(demand, mergeBelow, inFlightBelow));
    }

    /**
     * {@link #remerge(boolean, DeployMode, boolean, double, int)} weighing concurrency as well as rate: a merged
     * {@code auto} instance moves to a pod of its own when {@link #needsOwnPods} (rate at {@code mergeBelow} and, with
     * {@code inFlightBelow} positive and the in-flight average known, that average at {@code inFlightBelow}); a
     * dedicated one moves back when its rate falls under half of {@code mergeBelow} or its in-flight average under
     * half of {@code inFlightBelow}. The node agent and the leader's scheduler both decide with this function.
     */
    public static Optional<Boolean> remerge(boolean merged, DeployMode deploy, boolean runtimeCanMerge,
                                            MergeDemand demand, int mergeBelow, double inFlightBelow) {
        if (deploy == DeployMode.DEDICATED || !runtimeCanMerge) {
            return Optional.empty();
        }
        if (deploy == DeployMode.MERGED) {
            return merged ? Optional.empty() : Optional.of(true);
        }
        if (mergeBelow <= 0) {
            return Optional.empty();
        }
        if (merged && needsOwnPods(demand, mergeBelow, inFlightBelow)) {
            return Optional.of(false);
        }
        if (!merged && quietEnough(demand, mergeBelow, inFlightBelow)) {
            return Optional.of(true);
        }
        return Optional.empty();
    }

    /** Where one more instance of a function starts on a node ({@link #startPlace}). */
    public enum StartPlace {
        /** A pod of its own. */
        DEDICATED,
        /** A merged pod, because the function is merged ({@link #mergeable}). */
        MERGED,
        /** A worker in a merged pod of its namespace although the function runs in pods of its own: a burst instance. */
        BURST_WORKER
    }

    /**
     * Where one more instance of a function starts on a node, the rule the node agent and the trace simulator share
     * (ADR 0025, *Burst instances as merged workers*): in a merged pod when {@link #mergeable} says so; else, for a
     * {@code deploy: auto} function whose runtime can merge (and with auto merging on, {@code mergeBelow} positive),
     * as a worker in a merged pod when the node already has at least {@code steadyCount} of its instances (ready or
     * starting): the instances its steady need fills are pods of their own, the ones beyond it burst workers; else in
     * a pod of its own. {@code deploy: dedicated} and {@code deploy: merged} never get burst workers.
     *
     * @param existing    the function's instances on the node now, ready or starting, not counting this one
     * @param steadyCount the instances its steady need fills ({@code scaler.BurstRelease#steadyCount});
     *                    {@link Integer#MAX_VALUE} when burst workers are off or the need is not known (every
     *                    instance is then steady)
     */
    public static StartPlace startPlace(DeployMode deploy, boolean runtimeCanMerge, MergeDemand demand, int mergeBelow,
                                        double inFlightBelow, int existing, int steadyCount) {
        if (mergeable(deploy, runtimeCanMerge, demand, mergeBelow, inFlightBelow)) {
            return StartPlace.MERGED;
        }
        return burstWorker(deploy, runtimeCanMerge, mergeBelow, existing, steadyCount)
                ? StartPlace.BURST_WORKER : StartPlace.DEDICATED;
    }

    /**
     * The second half of {@link #startPlace}, for a function that runs in pods of its own: whether one more instance
     * is a burst worker (a {@code deploy: auto} function whose runtime can merge, with auto merging on, that has at
     * least {@code steadyCount} instances on the node already). The trace simulator, which keeps a function's
     * placement by the node agent's band, asks this directly.
     */
    public static boolean burstWorker(DeployMode deploy, boolean runtimeCanMerge, int mergeBelow, int existing,
                                      int steadyCount) {
        return deploy == DeployMode.AUTO && runtimeCanMerge && mergeBelow > 0 && steadyCount >= 0
                && existing >= steadyCount;
    }

    /**
     * How many merged pods {@code instances} (all of one runtime, on one node) need when packed as {@code shape}
     * says: per namespace (one group when {@link MergedShape#acrossNamespaces}), largest first, each into the first
     * pod with a function slot and the memory left, else into a new pod; an instance larger than a pod's room gets one
     * of its own.
     */
    public static int mergedPods(List<PlacedInstance> instances, MergedShape shape) {
        Map<String, List<Integer>> groups = new HashMap<>();
        for (PlacedInstance i : instances) {
            groups.computeIfAbsent(shape.acrossNamespaces() ? "" : i.id().namespace(), k -> new ArrayList<>())
                    .add(i.memoryMb());
        }
        int pods = 0;
        for (List<Integer> memories : groups.values()) {
            memories.sort(Comparator.reverseOrder());
            List<int[]> bins = new ArrayList<>(); // {functions, memory}
            for (int m : memories) {
                int[] bin = bins.stream().filter(b -> b[0] < shape.maxFunctions() && (long) b[1] + m <= shape.roomMb())
                        .findFirst().orElse(null);
                if (bin == null) {
                    bins.add(new int[] {1, m});
                } else {
                    bin[0]++;
                    bin[1] += m;
                }
            }
            pods += bins.size();
        }
        return pods;
    }

    /**
     * The merged pods of {@code request}'s runtime on {@code node} now and with the request added, or empty when the
     * request is not merged or its shape is not known (it then needs no pod slot, as before shapes were known).
     */
    private static java.util.Optional<int[]> mergedPodsBeforeAfter(PlacementRequest request, String nodeId,
                                                                    List<PlacedInstance> existing) {
        if (!request.merged() || request.shape().equals(MergedShape.UNBOUNDED)) {
            return java.util.Optional.empty();
        }
        List<PlacedInstance> same = new ArrayList<>();
        for (PlacedInstance s : existing) {
            if (s.merged() && s.nodeId().equals(nodeId) && s.runtime().equals(request.runtime())) {
                same.add(s);
            }
        }
        int before = mergedPods(same, request.shape());
        same.add(new PlacedInstance("", request.id(), request.version(), nodeId, "", request.memoryMb(),
                request.cpuMillis(), 0, false, true, request.runtime()));
        return java.util.Optional.of(new int[] {before, mergedPods(same, request.shape())});
    }

    /**
     * Where to place {@code request}.
     *
     * @param request  the instance to place
     * @param nodes    the nodes that may take it
     * @param existing every placed instance on those nodes (of all functions)
     */
    public static PlacementDecision decide(PlacementRequest request, List<NodeState> nodes, List<PlacedInstance> existing) {
        return decide(request, nodes, existing, ownShapeOnly(request));
    }

    private static java.util.function.Function<String, MergedShape> ownShapeOnly(PlacementRequest request) {
        return runtime -> runtime.equals(request.runtime()) ? request.shape() : MergedShape.UNBOUNDED;
    }

    /**
     * {@link #decide(PlacementRequest, List, List)} with every runtime's merged-pod shape: the merged pods of every
     * runtime whose shape is known count against a node's pods (a dedicated instance needs a slot beside them), and
     * each merged pod holds its {@link MergedShape#baseMb} on top of its instances' memory (an instance that opens a
     * merged pod needs that base free too). Runtimes of unknown shape ({@link MergedShape#UNBOUNDED}) count no merged pod.
     */
    public static PlacementDecision decide(PlacementRequest request, List<NodeState> nodes, List<PlacedInstance> placed,
                                           java.util.function.Function<String, MergedShape> shapes) {
        List<PlacedInstance> existing = asPlaced(nodes, placed);
        Map<String, Usage> usage = usage(nodes, existing, shapes);
        Map<String, Integer> perZone = new HashMap<>();
        Map<String, Integer> perNode = new HashMap<>();
        for (PlacedInstance s : existing) {
            if (s.id().equals(request.id()) && !s.draining()) {
                perZone.merge(s.zone(), 1, Integer::sum);
                perNode.merge(s.nodeId(), 1, Integer::sum);
            }
        }
        List<NodeState> fit = new ArrayList<>();
        long bestMemory = -1;
        long bestCpu = -1;
        for (NodeState n : nodes) {
            Usage u = usage.getOrDefault(n.id(), new Usage());
            MergedPods pods = mergedPods(n.id(), existing, shapes);
            long freeMemory = n.memoryMb() - u.memoryMb - pods.baseMb();
            long freeCpu = n.cpuMillis() - u.cpuMillis;
            bestMemory = Math.max(bestMemory, freeMemory);
            bestCpu = Math.max(bestCpu, freeCpu);
            java.util.Optional<int[]> merged = mergedPodsBeforeAfter(request, n.id(), existing);
            int ownBefore = pods.perRuntime().getOrDefault(request.runtime(), 0);
            boolean slot = merged.isPresent() ? u.pods + pods.total() - ownBefore + merged.get()[1] <= n.maxPods()
                    : request.merged() || u.pods + pods.total() < n.maxPods();
            long opens = merged.isPresent() && merged.get()[1] > merged.get()[0] ? request.shape().baseMb() : 0;
            if (freeMemory >= request.memoryMb() + opens && freeCpu >= request.cpuMillis() && slot) {
                fit.add(n);
            }
        }
        if (fit.isEmpty()) {
            String reason = nodes.isEmpty() ? "no node is available to place " + request.id() + " on"
                    : "no node has " + request.memoryMb() + " MiB and " + request.cpuMillis() + " millicores free and a pod slot"
                    + " for " + request.id() + " v" + request.version() + " (" + nodes.size() + " node(s); the most free: "
                    + Math.max(0, bestMemory) + " MiB, " + Math.max(0, bestCpu) + " millicores)";
            return new PlacementDecision.NoCapacity(reason);
        }
        Comparator<NodeState> order = Comparator
                .<NodeState>comparingInt(n -> perZone.getOrDefault(n.zone(), 0))
                .thenComparingInt(n -> perNode.getOrDefault(n.id(), 0))
                .thenComparing(n -> opensMergedPod(request, n.id(), existing))
                .thenComparing(n -> !n.serving().contains(request.id()))
                .thenComparing(n -> !n.warm(request.runtime()))
                .thenComparing(n -> !n.cached().contains(request.digest()))
                .thenComparing(n -> -(n.memoryMb() - usage.getOrDefault(n.id(), new Usage()).memoryMb))
                .thenComparing(NodeState::id);
        NodeState best = fit.stream().min(order).orElseThrow();
        StringBuilder why = new StringBuilder();
        why.append("node ").append(best.id()).append(" in zone ").append(best.zone()).append(": ")
                .append(perZone.getOrDefault(best.zone(), 0)).append(" instance(s) in the zone, ")
                .append(perNode.getOrDefault(best.id(), 0)).append(" on the node");
        if (best.serving().contains(request.id())) {
            why.append(", a ready instance already there");
        }
        if (mergedPodsBeforeAfter(request, best.id(), existing).isPresent()) {
            why.append(opensMergedPod(request, best.id(), existing) ? ", opens a merged pod" : ", joins a merged pod");
        }
        if (best.warm(request.runtime())) {
            why.append(", warm ").append(request.runtime()).append(" pod");
        }
        if (best.cached().contains(request.digest())) {
            why.append(", package cached");
        }
        why.append(" (").append(fit.size()).append(" of ").append(nodes.size()).append(" node(s) have room)");
        return new PlacementDecision.Placed(best, why.toString());
    }

    /**
     * A move that evens out one function's spread, as a node that joined (or returned) makes possible.
     *
     * @param from   the instance to take away once its replacement runs
     * @param to     the node to place the replacement on
     * @param reason why, naming the counts before the move
     */
    public record Move(PlacedInstance from, NodeState to, String reason) {
    }

    /**
     * The one move of {@code request}'s function that makes its spread more even, if any: the instance
     * {@link #nextToRemove} picks (most crowded zone, then node) goes to where {@link #decide} would place a new one
     * without it, but only when that strictly helps: the target zone then holds fewer than the source zone held (or,
     * within one zone, the target node fewer than the source node held). A difference of one is left alone, so moves
     * never go back and forth.
     */
    public static Optional<Move> rebalance(PlacementRequest request, List<NodeState> nodes, List<PlacedInstance> existing) {
        return rebalance(request, nodes, existing, ownShapeOnly(request));
    }

    /** {@link #rebalance(PlacementRequest, List, List)} counting every runtime's merged pods as {@code shapes} say. */
    public static Optional<Move> rebalance(PlacementRequest request, List<NodeState> nodes, List<PlacedInstance> existing,
                                           java.util.function.Function<String, MergedShape> shapes) {
        List<PlacedInstance> mine = existing.stream().filter(x -> x.id().equals(request.id()) && !x.draining()).toList();
        Optional<PlacedInstance> source = nextToRemove(mine);
        if (source.isEmpty()) {
            return Optional.empty();
        }
        PlacedInstance from = source.get();
        Map<String, Integer> perZone = new HashMap<>();
        Map<String, Integer> perNode = new HashMap<>();
        for (PlacedInstance x : mine) {
            perZone.merge(x.zone(), 1, Integer::sum);
            perNode.merge(x.nodeId(), 1, Integer::sum);
        }
        List<PlacedInstance> without = new ArrayList<>(existing);
        without.remove(from);
        if (!(decide(request, nodes, without, shapes) instanceof PlacementDecision.Placed placed) || placed.node().id().equals(from.nodeId())) {
            return Optional.empty();
        }
        NodeState to = placed.node();
        boolean helps = to.zone().equals(from.zone())
                ? perNode.getOrDefault(to.id(), 0) + 1 < perNode.get(from.nodeId())
                : perZone.getOrDefault(to.zone(), 0) + 1 < perZone.get(from.zone());
        if (!helps) {
            return Optional.empty();
        }
        return Optional.of(new Move(from, to, "from node " + from.nodeId() + " (" + perNode.get(from.nodeId()) + " on it, "
                + perZone.get(from.zone()) + " in zone " + from.zone() + ") to node " + to.id() + " ("
                + perNode.getOrDefault(to.id(), 0) + " on it, " + perZone.getOrDefault(to.zone(), 0) + " in zone " + to.zone() + ")"));
    }

    /**
     * The merged pods on a node, per runtime of known shape, and the memory their bases hold.
     *
     * @param perRuntime merged pods per runtime name (runtimes of unknown shape are left out)
     * @param baseMb     the sum of their {@link MergedShape#baseMb}
     */
    record MergedPods(Map<String, Integer> perRuntime, long baseMb) {
        int total() {
            return perRuntime.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** The merged pods {@code existing}'s merged instances on {@code nodeId} need, packed as {@code shapes} say. */
    static MergedPods mergedPods(String nodeId, List<PlacedInstance> existing,
                                 java.util.function.Function<String, MergedShape> shapes) {
        Map<String, List<PlacedInstance>> byRuntime = new HashMap<>();
        for (PlacedInstance s : existing) {
            if (s.merged() && s.nodeId().equals(nodeId)) {
                byRuntime.computeIfAbsent(s.runtime(), k -> new ArrayList<>()).add(s);
            }
        }
        Map<String, Integer> out = new HashMap<>();
        long base = 0;
        for (Map.Entry<String, List<PlacedInstance>> e : byRuntime.entrySet()) {
            MergedShape shape = shapes.apply(e.getKey());
            if (shape == null || shape.equals(MergedShape.UNBOUNDED)) {
                continue;
            }
            int pods = mergedPods(e.getValue(), shape);
            out.put(e.getKey(), pods);
            base += (long) pods * shape.baseMb();
        }
        return new MergedPods(Map.copyOf(out), base);
    }

    private static boolean opensMergedPod(PlacementRequest request, String nodeId, List<PlacedInstance> existing) {
        return mergedPodsBeforeAfter(request, nodeId, existing).map(p -> p[1] > p[0]).orElse(false);
    }

    /** The instance of {@code instances} (one function's) to remove next, if any is not draining yet. */
    public static Optional<PlacedInstance> nextToRemove(List<PlacedInstance> instances) {
        Map<String, Integer> perZone = new HashMap<>();
        Map<String, Integer> perNode = new HashMap<>();
        for (PlacedInstance s : instances) {
            if (!s.draining()) {
                perZone.merge(s.zone(), 1, Integer::sum);
                perNode.merge(s.nodeId(), 1, Integer::sum);
            }
        }
        Comparator<PlacedInstance> order = Comparator
                .<PlacedInstance>comparingInt(s -> -perZone.get(s.zone()))
                .thenComparingInt(PlacedInstance::inFlight)
                .thenComparingInt(s -> -perNode.get(s.nodeId()))
                .thenComparing(PlacedInstance::instanceId, Comparator.reverseOrder());
        return instances.stream().filter(s -> !s.draining()).min(order);
    }

    /** The first {@code count} instances to remove, in order, each chosen as if the earlier ones were gone. */
    public static List<PlacedInstance> removalOrder(List<PlacedInstance> instances, int count) {
        List<PlacedInstance> left = new ArrayList<>(instances);
        List<PlacedInstance> out = new ArrayList<>();
        while (out.size() < count) {
            Optional<PlacedInstance> next = nextToRemove(left);
            if (next.isEmpty()) {
                break;
            }
            out.add(next.get());
            left.remove(next.get());
        }
        return out;
    }

    /**
     * What {@code existing} holds on each node: memory, CPU and pod slots. A merged instance that its node reports
     * parked ({@link NodeState#parked}: up to that many of the function's merged instances there) is reserved at its
     * runtime's {@link MergedShape#reserved parked memory}, not its whole memory (a runtime of unknown shape: whole).
     */
    static Map<String, Usage> usage(List<NodeState> nodes, List<PlacedInstance> existing,
                                    java.util.function.Function<String, MergedShape> shapes) {
        Map<String, NodeState> byId = new HashMap<>();
        nodes.forEach(n -> byId.put(n.id(), n));
        Map<String, Map<dev.nest.function.FunctionId, Integer>> parkedLeft = new HashMap<>();
        Map<String, Usage> usage = new HashMap<>();
        for (PlacedInstance s : existing) {
            long memory = s.memoryMb();
            NodeState n = byId.get(s.nodeId());
            if (s.merged() && n != null && !n.parked().isEmpty()) {
                Map<dev.nest.function.FunctionId, Integer> left = parkedLeft.computeIfAbsent(n.id(), k -> new HashMap<>(n.parked()));
                int count = left.getOrDefault(s.id(), 0);
                MergedShape shape = shapes.apply(s.runtime());
                if (count > 0 && shape != null) {
                    left.put(s.id(), count - 1);
                    memory = shape.reserved(s.memoryMb(), true);
                }
            }
            usage.computeIfAbsent(s.nodeId(), k -> new Usage()).add(s, memory);
        }
        return usage;
    }

    /**
     * {@code existing} as the nodes run it: of each function's instances on a node that reports {@link NodeState#burst
     * burst workers}, up to that many (not draining first, then the newest by id) count as merged instances of their
     * runtime, as a burst worker is: a worker in a merged pod of its namespace, its memory inside that pod's room and
     * no pod slot of its own; {@link #usage} and {@link #mergedPods} then pack and reserve them like every merged
     * instance (a merged pod opened for them holds its base). Counts beyond the function's instances there are
     * ignored (a report older than the placements); nodes that report none leave their instances as they are.
     */
    public static List<PlacedInstance> asPlaced(List<NodeState> nodes, List<PlacedInstance> existing) {
        Map<String, Map<dev.nest.function.FunctionId, Integer>> left = new HashMap<>();
        for (NodeState n : nodes) {
            if (!n.burst().isEmpty()) {
                left.put(n.id(), new HashMap<>(n.burst()));
            }
        }
        if (left.isEmpty()) {
            return existing;
        }
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < existing.size(); k++) {
            order.add(k);
        }
        order.sort(Comparator.<Integer, Boolean>comparing(k -> existing.get(k).draining())
                .thenComparing(k -> existing.get(k).instanceId(), Comparator.reverseOrder()));
        List<PlacedInstance> out = new ArrayList<>(existing);
        for (int k : order) {
            PlacedInstance s = existing.get(k);
            Map<dev.nest.function.FunctionId, Integer> counts = left.get(s.nodeId());
            if (s.merged() || counts == null || counts.getOrDefault(s.id(), 0) <= 0) {
                continue;
            }
            counts.merge(s.id(), -1, Integer::sum);
            out.set(k, new PlacedInstance(s.instanceId(), s.id(), s.version(), s.nodeId(), s.zone(), s.memoryMb(),
                    s.cpuMillis(), s.inFlight(), s.draining(), true, s.runtime()));
        }
        return out;
    }

    static final class Usage {
        long memoryMb;
        long cpuMillis;
        int pods;

        void add(PlacedInstance s, long reservedMb) {
            memoryMb += reservedMb;
            cpuMillis += s.cpuMillis();
            if (!s.merged()) {
                pods++; // a merged instance shares a merged pod: its memory counts, not a pod slot (ADR 0025)
            }
        }
    }
}
