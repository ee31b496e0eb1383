package dev.nest.sidecar;

import java.util.Map;

/**
 * The right to send one invocation to an instance. Exactly one of {@link #release}, {@link #answered}, {@link #retire}
 * or {@link #recycle} must be called when the invocation ends.
 *
 * @param instance    the instance to call
 * @param cold        whether the request waited for a newly started instance
 * @param queueMillis time spent waiting for an instance
 * @param startPhases for a cold start, the instance's start phases (pod, load, init) in ms
 * @param lessor      who takes the instance back ({@link NodeAgent} on a node; a fake in a test of a caller)
 */
public record Lease(Instance instance, boolean cold, double queueMillis, Map<String, Double> startPhases,
                    Lessor lessor) {
    /** Where a lease goes back to when its invocation ends. */
    public interface Lessor {
        /** See {@link Lease#release}. */
        void release(Lease lease);

        /** See {@link Lease#recycle}. */
        void recycle(Lease lease, String reason);

        /** See {@link Lease#retire}; a lessor that cannot wait for the other requests stops the instance at once. */
        default void retire(Lease lease, String reason) {
            recycle(lease, reason);
        }

        /** See {@link Lease#stop}; a lessor that cannot drain an instance stops it at once. */
        default void stop(Lease lease, String reason) {
            recycle(lease, reason);
        }
    }

    /** The response header in which a runtime host says an instance must be replaced (runtimes/CONTRACT.md). */
    public static final String INSTANCE_HEALTH_HEADER = AfterInvocation.HEALTH_HEADER;

    /**
     * The host answered the invocation: the lease is {@link #release released}, or {@link #retire retired} when the
     * answer's {@link #INSTANCE_HEALTH_HEADER} says the instance is unhealthy (see {@link AfterInvocation}).
     *
     * @param instanceHealth the header's value, {@code ""} when absent
     */
    public void answered(int status, String instanceHealth) {
        if (AfterInvocation.decide(AfterInvocation.HostAnswer.ANSWERED, status, instanceHealth) == AfterInvocation.RETIRE) {
            retire("its host reports it unhealthy (" + INSTANCE_HEALTH_HEADER + ": " + instanceHealth.trim() + ")");
        } else {
            release();
        }
    }

    /** The invocation finished; the instance may serve the next request. */
    public void release() {
        lessor.release(this);
    }

    /** The instance is no longer trustworthy (timed out, protocol error): stop it. */
    public void recycle(String reason) {
        lessor.recycle(this, reason);
    }

    /**
     * The invocation finished, but the instance must be replaced (its host says it is unhealthy): it takes no new
     * request, a replacement starts if requests wait, and it stops once its other requests in flight end.
     */
    public void retire(String reason) {
        lessor.retire(this, reason);
    }

    /**
     * The invocation was stopped on purpose (its caller was answered already): the instance takes no new request and
     * its pod stops as soon as its other requests in flight (neighbours under {@code concurrency > 1}, or other
     * instances of a merged pod, which move out first) ended by themselves, bounded by their own timeouts; at once
     * when it has none. The stopped invocation's code runs until then: a host cannot end one invocation alone.
     */
    public void stop(String reason) {
        lessor.stop(this, reason);
    }
}
