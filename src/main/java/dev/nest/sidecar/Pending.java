package dev.nest.sidecar;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The answer to {@link InstanceLeases#acquireAsync}: a lease now (the warm path), or a future that completes with
 * one when an instance is handed over, or exceptionally with an {@link InvokeException} when instances cannot start.
 * A caller that stops waiting at {@link #waitUntilNanos} must call {@link InstanceLeases#cancel}.
 */
public final class Pending {
    final Lease now;
    private final CompletableFuture<Lease> later;
    private final long waitUntilNanos;
    final InstanceSet set;
    final InstanceSet.Waiter waiter;

    Pending(Lease now, CompletableFuture<Lease> later, long waitUntilNanos, InstanceSet set, InstanceSet.Waiter waiter) {
        this.now = now;
        this.later = later;
        this.waitUntilNanos = waitUntilNanos;
        this.set = set;
        this.waiter = waiter;
    }

    /** An instance free at once: the answer of an {@link InstanceLeases} other than the node agent's. */
    public static Pending ready(Lease lease) {
        return new Pending(java.util.Objects.requireNonNull(lease), null, 0, null, null);
    }

    /**
     * A lease to come: the answer of an {@link InstanceLeases} other than the node agent's. {@code later} completes
     * with the lease, or exceptionally (an {@link InvokeException}) when no instance can be had.
     */
    public static Pending waiting(CompletableFuture<Lease> later, long waitUntilNanos) {
        return new Pending(null, java.util.Objects.requireNonNull(later), waitUntilNanos, null, null);
    }

    /**
     * When a retry may succeed if this wait fails with a 429 or 503 (a start refused because the node is at
     * capacity, say): the function's estimate on this node (see {@link InvokeException#retryAfterSeconds}), or
     * {@code fallback} for an {@link InstanceLeases} other than the node agent's.
     */
    public int retryAfterSeconds(long nowNanos, int fallback) {
        return set == null ? fallback : set.retryAfterSeconds(nowNanos);
    }

    /** The lease, when an instance was free at once. */
    public Optional<Lease> now() {
        return Optional.ofNullable(now);
    }

    /** Completes with the lease; already complete when {@link #now} has it. */
    public CompletableFuture<Lease> later() {
        return now != null ? CompletableFuture.completedFuture(now) : later;
    }

    /**
     * When the caller stops waiting (its deadline or the function's {@code queue.timeout}), in the terms of the
     * agent's time source ({@code System.nanoTime} in production).
     */
    public long waitUntilNanos() {
        return waitUntilNanos;
    }
}
