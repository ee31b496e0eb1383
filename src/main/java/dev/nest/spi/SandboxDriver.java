package dev.nest.spi;

/**
 * Creates and removes pods (one isolation unit each: a process, a container) on this node.
 *
 * <p>Implementations must be thread-safe: the node agent starts and stops pods from many threads at once.
 * {@link #start} returns once the pod has been created and its host launched; the agent then waits for the
 * host's {@code /health}. A driver never retries on its own; it reports failures as {@link SandboxException}
 * with a message that names the image, socket or command and what to do.
 */
public interface SandboxDriver extends AutoCloseable {
    /** The name used in {@code sidecar.driver}. */
    String name();

    /** Creates and starts a pod. */
    Pod start(PodSpec spec, PodListener listener);

    /** Whether the engine behind this driver is usable now. */
    DriverHealth health();

    /**
     * Removes pods that an earlier run of this node left behind (after a crash), and only those: pods whose
     * labels name this node and Nest. Returns how many were removed.
     */
    int removeOrphans(String nodeId);

    /**
     * What {@code pod} (started by this driver) uses now: cumulative CPU time and current memory. Called once a
     * second per ready pod by the node agent's sampler, so it must be cheap (a few small file reads, no engine call
     * after the first); empty when the driver cannot tell (the default, a pod that is gone, an unreadable cgroup).
     * Never throws for a pod that stopped meanwhile.
     */
    default java.util.Optional<PodUsage> usage(Pod pod) {
        return java.util.Optional.empty();
    }

    /** The path under which a pod sees {@code hostPath} (a directory under {@code PodSpec.codeRoot()}). */
    String pathInPod(PodSpec spec, java.nio.file.Path hostPath);

    @Override
    void close();
}
