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
 * @param merged    whether the instance goes to a merged pod ({@code deploy: merged}, or {@code auto} while quiet:
 *                  {@link Placement#mergeable}): it reserves its own memory, and a pod slot only when the node's merged
 *                  pods of its runtime, packed as {@code shape} says, need one more for it (ADR 0025)
 * @param shape     how the runtime's merged pods are packed ({@link MergedShape#UNBOUNDED} when not known)
 */
public record PlacementRequest(FunctionId id, int version, String runtime, String digest, int memoryMb, int cpuMillis,
                               boolean merged, MergedShape shape) {
    public PlacementRequest {
        java.util.Objects.requireNonNull(shape, "shape");
    }

    /** A request whose merged pods' packing is not known ({@link MergedShape#UNBOUNDED}). */
    public PlacementRequest(FunctionId id, int version, String runtime, String digest, int memoryMb, int cpuMillis,
                            boolean merged) {
        this(id, version, runtime, digest, memoryMb, cpuMillis, merged, MergedShape.UNBOUNDED);
    }

    /** A request for an instance in a pod of its own. */
    public PlacementRequest(FunctionId id, int version, String runtime, String digest, int memoryMb, int cpuMillis) {
        this(id, version, runtime, digest, memoryMb, cpuMillis, false);
    }
}
