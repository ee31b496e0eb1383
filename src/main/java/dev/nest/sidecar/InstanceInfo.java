package dev.nest.sidecar;

/** A snapshot of one instance for the API. */
public record InstanceInfo(String id, String function, int version, String state, int inFlight, long served,
                           int port, String pod) {
}
