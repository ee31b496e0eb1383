package dev.nest.pool;

/**
 * Starts and stops the generic pods of a {@link WarmPool}. The pool does not know what a pod is: the node agent
 * implements this with its driver, ports and health checks, so that the pool holds no I/O of its own.
 *
 * @param <P> the node agent's handle of a started pod
 */
public interface PodFactory<P> {
    /**
     * Starts a generic pod of {@code runtime} and returns once its host reports healthy (blocking; called on a
     * virtual thread of the pool). {@code onExit} is to be called when the pod ends, whoever ends it.
     *
     * @throws RuntimeException with a message that says what to change when the pod cannot start
     */
    P start(String runtime, Runnable onExit);

    /** Whether the pod is still running. */
    boolean alive(P pod);

    /** Stops a pod that was never handed out (recycled, pool shrunk, node stopping). Must not throw. */
    void stop(P pod);
}
