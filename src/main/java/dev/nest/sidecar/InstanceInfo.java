package dev.nest.sidecar;

/**
 * A snapshot of one instance for the API.
 *
 * @param cpuCores    CPU cores its pod used over the last second; -1 when not measured (starting, or a driver
 *                    that cannot tell)
 * @param memoryBytes memory its pod uses (working set); -1 when not measured
 */
public record InstanceInfo(String id, String function, int version, String state, int inFlight, long served,
                           int port, String pod, double cpuCores, long memoryBytes) {
    /** An instance without usage readings. */
    public InstanceInfo(String id, String function, int version, String state, int inFlight, long served, int port,
                        String pod) {
        this(id, function, version, state, inFlight, served, port, pod, -1, -1);
    }
}
