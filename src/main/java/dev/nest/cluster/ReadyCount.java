package dev.nest.cluster;

import dev.nest.function.FunctionId;

/**
 * How many instances of one function version a node has ready to serve.
 *
 * @param function the function
 * @param version  its version
 * @param ready    instances in the READY state
 * @param inFlight invocations running on them when counted
 */
public record ReadyCount(FunctionId function, int version, int ready, int inFlight) {
}
