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
 */
public record PlacementRequest(FunctionId id, int version, String runtime, String digest, int memoryMb, int cpuMillis) {
}
