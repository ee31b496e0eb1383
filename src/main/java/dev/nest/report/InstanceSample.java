package dev.nest.report;

/**
 * One instance of this node as the report samples it once a second.
 *
 * @param function {@code namespace/name}
 * @param version  the version it runs
 * @param inFlight its requests in flight
 */
public record InstanceSample(String function, int version, int inFlight) {
}
