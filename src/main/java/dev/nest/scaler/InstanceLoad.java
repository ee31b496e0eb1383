package dev.nest.scaler;

import dev.nest.function.FunctionId;

/**
 * What the node agent reports about the live version of one function, once per second or when the scaler is
 * woken: the input of the live scaler ({@link ScalerLoop}).
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
 */
public record InstanceLoad(FunctionId id, int version, int ready, int busy, int inFlight, int starting, int queued,
                           long served) {
}
