package dev.nest.placement;

import dev.nest.cluster.Cluster;
import dev.nest.cluster.NodeInfo;
import dev.nest.function.FunctionId;
import dev.nest.scheduler.NodeState;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The cluster's registered nodes as the placement side sees them: as {@link NodeState}s for the scheduler (their
 * zone, the capacity they advertised in their labels, and the warm pods, unpacked packages and ready instances they
 * last published) and as {@link NodeProbe} targets.
 *
 * <p>A node whose capacity label is absent or unreadable is taken to have this node's capacity ({@code own}). Reads
 * the cluster's in-memory mirrors only: never blocks, callable from any thread.
 */
public final class ClusterNodes {
    /** What each node last published, by node id. */
    interface Published {
        Map<String, Integer> warmPods(String node);

        Set<String> cached(String node);

        Set<FunctionId> serving(String node);

        /** Per function, its instances parked in merged pods on {@code node} (ADR 0025); none when not known. */
        default Map<FunctionId, Integer> parked(String node) {
            return Map.of();
        }

        /** Per function, its burst workers on {@code node} (ADR 0025); none when not known. */
        default Map<FunctionId, Integer> burst(String node) {
            return Map.of();
        }
    }

    private final Supplier<List<NodeInfo>> nodes;
    private final Published published;
    private final Map<String, String> own;

    ClusterNodes(Supplier<List<NodeInfo>> nodes, Published published, Map<String, String> own) {
        this.nodes = nodes;
        this.published = published;
        this.own = Map.copyOf(own);
    }

    /**
     * The nodes of {@code cluster}.
     *
     * @param own this node's capacity labels ({@link #capacity}): {@link NodeInfo#MEMORY_MB}, {@link NodeInfo#CPU_MILLIS}
     *            and {@link NodeInfo#MAX_PODS}, each a number
     */
    public static ClusterNodes of(Cluster cluster, Map<String, String> own) {
        return of(cluster, own, node -> Set.of());
    }

    /**
     * The nodes of {@code cluster}, where a node serves the functions its ready-instance document lists and also
     * those {@code active} names for it (instances starting or ready by its latest load report), so that the
     * scheduler places a function where an instance of it is already being started on demand instead of starting a
     * second one elsewhere.
     */
    public static ClusterNodes of(Cluster cluster, Map<String, String> own,
                                  java.util.function.Function<String, Set<FunctionId>> active) {
        return of(cluster, own, active, node -> Map.of());
    }

    /**
     * {@link #of(Cluster, Map, java.util.function.Function)} where {@code parked} names, per node, the instances of
     * each function parked in its merged pods (by its latest load report), which the scheduler reserves at what a
     * parked function holds.
     */
    public static ClusterNodes of(Cluster cluster, Map<String, String> own,
                                  java.util.function.Function<String, Set<FunctionId>> active,
                                  java.util.function.Function<String, Map<FunctionId, Integer>> parked) {
        return of(cluster, own, active, parked, node -> Map.of());
    }

    /**
     * {@link #of(Cluster, Map, java.util.function.Function, java.util.function.Function)} where {@code burst} names,
     * per node, each function's instances the node started as burst workers in merged pods (by its latest load
     * report), which the scheduler accounts as merged instances ({@code Placement.asPlaced}).
     */
    public static ClusterNodes of(Cluster cluster, Map<String, String> own,
                                  java.util.function.Function<String, Set<FunctionId>> active,
                                  java.util.function.Function<String, Map<FunctionId, Integer>> parked,
                                  java.util.function.Function<String, Map<FunctionId, Integer>> burst) {
        return new ClusterNodes(cluster::nodes, new Published() {
            @Override
            public Map<FunctionId, Integer> parked(String node) {
                return parked.apply(node);
            }

            @Override
            public Map<FunctionId, Integer> burst(String node) {
                return burst.apply(node);
            }

            @Override
            public Map<String, Integer> warmPods(String node) {
                return cluster.warmPods(node);
            }

            @Override
            public Set<String> cached(String node) {
                return cluster.cachedPackages(node);
            }

            @Override
            public Set<FunctionId> serving(String node) {
                Set<FunctionId> starting = active.apply(node);
                if (starting.isEmpty()) {
                    return cluster.serving(node);
                }
                Set<FunctionId> both = new java.util.HashSet<>(cluster.serving(node));
                both.addAll(starting);
                return both;
            }
        }, own);
    }

    /** The capacity labels of this machine: its memory, its cores and {@code maxPods}. */
    public static Map<String, String> capacity(int maxPods) {
        long memoryMb = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize() >> 20;
        return Map.of(NodeInfo.MEMORY_MB, Long.toString(memoryMb),
                NodeInfo.CPU_MILLIS, Long.toString(Runtime.getRuntime().availableProcessors() * 1000L),
                NodeInfo.MAX_PODS, Integer.toString(maxPods));
    }

    /** The registered nodes that {@code down} does not name, as the scheduler sees them. */
    public List<NodeState> states(Predicate<String> down) {
        return nodes.get().stream().filter(n -> !down.test(n.id()))
                .map(n -> state(n, own, published.warmPods(n.id()), published.cached(n.id()), published.serving(n.id()),
                        published.parked(n.id()), published.burst(n.id())))
                .toList();
    }

    /** The registered nodes that {@code which} selects, as a node probe's targets. */
    public List<NodeProbe.Target> targets(Predicate<NodeInfo> which) {
        return nodes.get().stream().filter(which)
                .map(n -> new NodeProbe.Target(n.id(), n.address(), n.port(), n.started(), n.listening())).toList();
    }

    /** Node {@code n} as the scheduler sees it, its capacity read from its labels (else from {@code own}). */
    static NodeState state(NodeInfo n, Map<String, String> own, Map<String, Integer> warmPods, Set<String> cached,
                           Set<FunctionId> serving) {
        return state(n, own, warmPods, cached, serving, Map.of());
    }

    /** {@link #state(NodeInfo, Map, Map, Set, Set)} with the node's parked merged instances per function. */
    static NodeState state(NodeInfo n, Map<String, String> own, Map<String, Integer> warmPods, Set<String> cached,
                           Set<FunctionId> serving, Map<FunctionId, Integer> parked) {
        return state(n, own, warmPods, cached, serving, parked, Map.of());
    }

    /** {@link #state(NodeInfo, Map, Map, Set, Set, Map)} with the node's burst workers per function. */
    static NodeState state(NodeInfo n, Map<String, String> own, Map<String, Integer> warmPods, Set<String> cached,
                           Set<FunctionId> serving, Map<FunctionId, Integer> parked, Map<FunctionId, Integer> burst) {
        Map<String, String> l = n.labels() == null ? Map.of() : n.labels();
        return new NodeState(n.id(), n.zone(), label(l, own, NodeInfo.MEMORY_MB), label(l, own, NodeInfo.CPU_MILLIS),
                (int) label(l, own, NodeInfo.MAX_PODS), warmPods, cached, serving, parked, burst);
    }

    private static long label(Map<String, String> labels, Map<String, String> own, String key) {
        try {
            return Long.parseLong(labels.getOrDefault(key, own.get(key)));
        } catch (NumberFormatException e) {
            return Long.parseLong(own.get(key));
        }
    }
}
