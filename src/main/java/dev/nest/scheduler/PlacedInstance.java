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
 * @param merged     whether it runs in a shared merged pod (it then holds its memory but no pod slot of its own)
 * @param runtime    its runtime's name ("" when not known): merged pods are packed per runtime
 */
public record PlacedInstance(String instanceId, FunctionId id, int version, String nodeId, String zone, int memoryMb,
                             int cpuMillis, int inFlight, boolean draining, boolean merged, String runtime) {
    /** An instance whose runtime is not known. */
    public PlacedInstance(String instanceId, FunctionId id, int version, String nodeId, String zone, int memoryMb,
                          int cpuMillis, int inFlight, boolean draining, boolean merged) {
        this(instanceId, id, version, nodeId, zone, memoryMb, cpuMillis, inFlight, draining, merged, "");
    }

    /** An instance in a pod of its own. */
    public PlacedInstance(String instanceId, FunctionId id, int version, String nodeId, String zone, int memoryMb,
                          int cpuMillis, int inFlight, boolean draining) {
        this(instanceId, id, version, nodeId, zone, memoryMb, cpuMillis, inFlight, draining, false);
    }

    public PlacedInstance withLoad(int newInFlight) {
        return new PlacedInstance(instanceId, id, version, nodeId, zone, memoryMb, cpuMillis, newInFlight, draining,
                merged, runtime);
    }

    public PlacedInstance drained() {
        return new PlacedInstance(instanceId, id, version, nodeId, zone, memoryMb, cpuMillis, inFlight, true, merged,
                runtime);
    }
}
