package dev.nest.pool;

/**
 * The life of a pod in a {@link WarmPool} once it has started and is kept. Legal moves:
 * <pre>
 *   READY --take--> TAKEN                              the caller owns the pod and stops it; the pool forgets it
 *   READY --died, idle, trimmed, pool closed--> STOPPED the pool stops it through its factory, exactly once
 * </pre>
 * TAKEN and STOPPED are final: a pool that tried to stop a pod it handed out, or to hand out a pod it stopped,
 * would fail with an {@link IllegalStateException} instead of breaking its caller's instance.
 */
enum PoolPodState {
    READY, TAKEN, STOPPED;

    boolean canMoveTo(PoolPodState next) {
        return this == READY && next != READY;
    }
}
