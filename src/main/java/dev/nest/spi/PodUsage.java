package dev.nest.spi;

/**
 * What a pod uses, read from the operating system.
 *
 * @param cpuNanos    CPU time consumed since the pod started (user + system, all its processes), in nanoseconds;
 *                    cumulative, so that a rate is the difference of two readings over the wall time between them
 * @param memoryBytes memory in use now: the pod's working set (resident memory minus reclaimable file cache)
 */
public record PodUsage(long cpuNanos, long memoryBytes) {
    public PodUsage {
        if (cpuNanos < 0 || memoryBytes < 0) {
            throw new IllegalArgumentException("pod usage cannot be negative: cpu " + cpuNanos + " ns, memory "
                    + memoryBytes + " bytes");
        }
    }
}
