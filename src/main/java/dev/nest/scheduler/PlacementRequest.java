package dev.nest.scheduler;

import dev.nest.function.FunctionId;

/**
 * One new instance to place.
 *
 * @param id        the function
 * @param version   its version
 * @param runtime   the runtime name (a node with a warm pool pod of it is preferred)
 * @param digest    the code digest (a node that has it unpacked is preferred)
 * @param memoryMb  memory the instance reserves, MiB
 * @param cpuMillis CPU the instance reserves, thousandths of a core (0: none reserved)
 * @param merged    whether the function says {@code deploy: merged}: its instance reserves its own memory but no pod
 *                  slot (the node agent packs it into a shared merged pod, and refuses it there when a new merged pod
 *                  would exceed {@code sidecar.max-pods}; ADR 0025)
 */
public record PlacementRequest(FunctionId id, int version, String runtime, String digest, int memoryMb, int cpuMillis,
                               boolean merged) {
    /** A request for an instance in a pod of its own. */
    public PlacementRequest(FunctionId id, int version, String runtime, String digest, int memoryMb, int cpuMillis) {
        this(id, version, runtime, digest, memoryMb, cpuMillis, false);
    }
}
