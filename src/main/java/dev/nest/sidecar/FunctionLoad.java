package dev.nest.sidecar;

import dev.nest.function.FunctionId;

/**
 * A snapshot of the live version of one function on this node, for the autoscaler.
 *
 * @param id       the function
 * @param version  its live version
 * @param ready    instances loaded and routable (idle or busy)
 * @param busy     ready instances with at least one request in flight
 * @param inFlight requests in flight on the ready instances
 * @param starting instances being started (pod, health, load)
 * @param queued   requests waiting for an instance
 * @param served   requests finished by this version on this node since its first instance (monotonic)
 * @param cpu      CPU cores in use, summed over the {@code measured} ready instances
 * @param memoryMb memory in use in MiB, summed over the {@code measured} ready instances
 * @param measured ready instances whose usage the driver reported in the last second (0: CPU and memory unknown)
 */
public record FunctionLoad(FunctionId id, int version, int ready, int busy, int inFlight, int starting,
                           int queued, long served, double cpu, double memoryMb, int measured) {
    /** A load without usage readings (a driver that cannot report them). */
    public FunctionLoad(FunctionId id, int version, int ready, int busy, int inFlight, int starting, int queued,
                        long served) {
        this(id, version, ready, busy, inFlight, starting, queued, served, 0, 0, 0);
    }
}
