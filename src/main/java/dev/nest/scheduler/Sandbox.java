package dev.nest.scheduler;

import dev.nest.function.FunctionId;

/**
 * A placed sandbox: one instance of a function version on a node, with what it reserves.
 *
 * @param sandboxId unique id
 * @param id        the function
 * @param version   its version
 * @param nodeId    where it runs
 * @param zone      the node's zone
 * @param memoryMb  reserved memory, MiB
 * @param cpuMillis reserved CPU, thousandths of a core
 * @param inFlight  requests it has in flight now (for the removal order; 0 when unknown)
 * @param draining  whether it takes no new requests and is stopped when its last one ends
 */
public record Sandbox(String sandboxId, FunctionId id, int version, String nodeId, String zone, int memoryMb,
                      int cpuMillis, int inFlight, boolean draining) {
    public Sandbox withLoad(int newInFlight) {
        return new Sandbox(sandboxId, id, version, nodeId, zone, memoryMb, cpuMillis, newInFlight, draining);
    }

    public Sandbox drained() {
        return new Sandbox(sandboxId, id, version, nodeId, zone, memoryMb, cpuMillis, inFlight, true);
    }
}
