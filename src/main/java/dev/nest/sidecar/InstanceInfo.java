package dev.nest.sidecar;

/**
 * A snapshot of one instance for the API.
 *
 * @param cpuCores    CPU cores its pod used over the last second; -1 when not measured (starting, or a driver
 *                    that cannot tell)
 * @param memoryBytes memory its pod uses (working set); -1 when not measured; in a merged pod, its own V8 heap
 * @param hostPod     the id of the pod that hosts it (shared with other instances when {@code merged})
 * @param merged      whether it runs in a merged pod (ADR 0025); its CPU is then its worker's busy time (Node.js) or
 *                    its own threads' CPU time (Java), and a Java instance's memory is not measured (-1: it has no
 *                    heap of its own)
 * @param allocationBytesPerSecond in a merged Java pod, the bytes per second its threads allocated over the last
 *                    10 s (what {@code sidecar.merged-allocation-budget} limits); -1 elsewhere or not measured yet
 * @param placement   how it is placed: {@code dedicated} (a pod of its own), {@code merged} (in a merged pod because its
 *                    function is merged) or {@code burst} (a burst worker: an instance of a function that otherwise
 *                    runs in pods of its own, started beyond its steady need as a worker in the merged pod
 *                    {@code hostPod}; ADR 0025)
 */
public record InstanceInfo(String id, String function, int version, String state, int inFlight, long served,
                           int port, String pod, double cpuCores, long memoryBytes, String hostPod, boolean merged,
                           double allocationBytesPerSecond, String placement) {
    /** {@link #placement} of a dedicated instance. */
    public static final String DEDICATED = "dedicated";
    /** {@link #placement} of an instance merged with its function. */
    public static final String MERGED = "merged";
    /** {@link #placement} of a burst worker. */
    public static final String BURST = "burst";

    public InstanceInfo {
        if (!DEDICATED.equals(placement) && !MERGED.equals(placement) && !BURST.equals(placement)) {
            throw new IllegalArgumentException("instance " + id + ": placement '" + placement
                    + "' is not dedicated, merged or burst");
        }
        if (merged == DEDICATED.equals(placement)) {
            throw new IllegalArgumentException("instance " + id + ": placement '" + placement + "' with merged "
                    + merged);
        }
    }

    /** The placement of an instance: {@code burst} for a burst worker in a merged pod, else by {@code merged}. */
    public static String placement(boolean merged, boolean burst) {
        return !merged ? DEDICATED : burst ? BURST : MERGED;
    }

    /** An instance placed as {@code merged} says (never a burst worker). */
    public InstanceInfo(String id, String function, int version, String state, int inFlight, long served, int port,
                        String pod, double cpuCores, long memoryBytes, String hostPod, boolean merged,
                        double allocationBytesPerSecond) {
        this(id, function, version, state, inFlight, served, port, pod, cpuCores, memoryBytes, hostPod, merged,
                allocationBytesPerSecond, placement(merged, false));
    }

    /** An instance without an allocation reading. */
    public InstanceInfo(String id, String function, int version, String state, int inFlight, long served, int port,
                        String pod, double cpuCores, long memoryBytes, String hostPod, boolean merged) {
        this(id, function, version, state, inFlight, served, port, pod, cpuCores, memoryBytes, hostPod, merged, -1);
    }

    /** An instance in a pod of its own. */
    public InstanceInfo(String id, String function, int version, String state, int inFlight, long served, int port,
                        String pod, double cpuCores, long memoryBytes) {
        this(id, function, version, state, inFlight, served, port, pod, cpuCores, memoryBytes, "", false);
    }

    /** An instance without usage readings. */
    public InstanceInfo(String id, String function, int version, String state, int inFlight, long served, int port,
                        String pod) {
        this(id, function, version, state, inFlight, served, port, pod, -1, -1);
    }
}
