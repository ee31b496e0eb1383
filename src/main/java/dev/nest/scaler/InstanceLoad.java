package dev.nest.scaler;

import dev.nest.function.FunctionId;

/**
 * The load of the live version of one function (on one node, or summed over the cluster's nodes), once per second
 * or when the scaler is woken: the input of the live scaler ({@link ScalerLoop}).
 *
 * @param id       the function
 * @param version  its live version (a change resets the request counter)
 * @param ready    instances loaded and routable (idle or busy)
 * @param busy     ready instances with at least one request in flight
 * @param inFlight requests in flight on the ready instances
 * @param starting instances being started
 * @param queued   requests waiting for an instance
 * @param served   requests finished by this version since its first instance (monotonic; requests/s is derived
 *                 from its growth)
 * @param cpu      CPU cores in use, summed over the {@code measured} instances
 * @param memoryMb memory in use in MiB, summed over the {@code measured} instances
 * @param measured ready instances whose CPU and memory were read (0: both unknown, the scaler has no sample of them)
 */
public record InstanceLoad(FunctionId id, int version, int ready, int busy, int inFlight, int starting, int queued,
                           long served, double cpu, double memoryMb, int measured) {
    /** A load without CPU and memory readings. */
    public InstanceLoad(FunctionId id, int version, int ready, int busy, int inFlight, int starting, int queued,
                        long served) {
        this(id, version, ready, busy, inFlight, starting, queued, served, 0, 0, 0);
    }
}
