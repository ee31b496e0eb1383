package dev.nest.scheduler;

import dev.nest.function.FunctionId;

/**
 * One instance of a function version as the scheduler places it: the node it runs on and what it reserves.
 *
 * @param instanceId unique id
 * @param id         the function
 * @param version    its version
 * @param nodeId     where it runs
 * @param zone       the node's zone
 * @param memoryMb   reserved memory, MiB
 * @param cpuMillis  reserved CPU, thousandths of a core
 * @param inFlight   requests it has in flight now (for the removal order; 0 when unknown)
 * @param draining   whether it takes no new requests and is stopped when its last one ends
 */
public record PlacedInstance(String instanceId, FunctionId id, int version, String nodeId, String zone, int memoryMb,
                             int cpuMillis, int inFlight, boolean draining) {
    public PlacedInstance withLoad(int newInFlight) {
        return new PlacedInstance(instanceId, id, version, nodeId, zone, memoryMb, cpuMillis, newInFlight, draining);
    }

    public PlacedInstance drained() {
        return new PlacedInstance(instanceId, id, version, nodeId, zone, memoryMb, cpuMillis, inFlight, true);
    }
}
