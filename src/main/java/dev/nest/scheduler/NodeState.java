package dev.nest.scheduler;

import dev.nest.function.FunctionId;
import java.util.Map;
import java.util.Set;

/**
 * What the scheduler knows of one node: its capacity and what it holds that makes a start fast. Usage is not
 * part of it: it follows from the placements on the node.
 *
 * @param id         node id
 * @param zone       availability zone
 * @param memoryMb   memory that instances may use, MiB
 * @param cpuMillis  CPU that instances may use, thousandths of a core
 * @param maxPods    pods the node may run at once
 * @param warmPods   generic pool pods ready per runtime name
 * @param cached     code digests the node has unpacked
 * @param serving    functions the node has a ready instance of now (started by requests or earlier placements): a
 *                   placement there adopts a running instance instead of starting one
 * @param parked     per function, its instances in merged pods here that are parked (worker unloaded for idleness,
 *                   by the node's latest load report; ADR 0025): the scheduler reserves those at
 *                   {@link MergedShape#parkedMb} instead of their whole memory
 * @param burst      per function, its instances here that the node started as burst workers (workers in a merged pod
 *                   of a function that otherwise runs in pods of its own, by the node's latest load report; ADR 0025):
 *                   the scheduler accounts those as merged instances ({@link Placement#asPlaced})
 */
public record NodeState(String id, String zone, long memoryMb, long cpuMillis, int maxPods, Map<String, Integer> warmPods,
                        Set<String> cached, Set<FunctionId> serving, Map<FunctionId, Integer> parked,
                        Map<FunctionId, Integer> burst) {
    public NodeState {
        warmPods = Map.copyOf(warmPods);
        cached = Set.copyOf(cached);
        serving = Set.copyOf(serving);
        parked = Map.copyOf(parked);
        burst = Map.copyOf(burst);
        if (parked.values().stream().anyMatch(n -> n < 0)) {
            throw new IllegalArgumentException("node " + id + " has a negative count of parked instances: " + parked);
        }
        if (burst.values().stream().anyMatch(n -> n < 0)) {
            throw new IllegalArgumentException("node " + id + " has a negative count of burst workers: " + burst);
        }
        if (memoryMb < 0 || cpuMillis < 0 || maxPods < 0) {
            throw new IllegalArgumentException("node " + id + " has a negative capacity");
        }
    }

    /** A node none of whose instances is known to be a burst worker. */
    public NodeState(String id, String zone, long memoryMb, long cpuMillis, int maxPods, Map<String, Integer> warmPods,
                     Set<String> cached, Set<FunctionId> serving, Map<FunctionId, Integer> parked) {
        this(id, zone, memoryMb, cpuMillis, maxPods, warmPods, cached, serving, parked, Map.of());
    }

    /** A node none of whose merged instances is known to be parked. */
    public NodeState(String id, String zone, long memoryMb, long cpuMillis, int maxPods, Map<String, Integer> warmPods,
                     Set<String> cached, Set<FunctionId> serving) {
        this(id, zone, memoryMb, cpuMillis, maxPods, warmPods, cached, serving, Map.of());
    }

    /** A node that serves no function yet. */
    public NodeState(String id, String zone, long memoryMb, long cpuMillis, int maxPods, Map<String, Integer> warmPods,
                     Set<String> cached) {
        this(id, zone, memoryMb, cpuMillis, maxPods, warmPods, cached, Set.of());
    }

    /** Whether a generic pod of {@code runtime} is ready here. */
    public boolean warm(String runtime) {
        return warmPods.getOrDefault(runtime, 0) > 0;
    }
}
