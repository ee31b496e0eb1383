package dev.nest.cluster;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The changes of a store's in-memory copy of one ZooKeeper folder (tokens, namespaces): the copy's listener calls
 * {@link #changed} after each event, and a writer waits with {@link #await} until its own write shows in the copy,
 * so that a call that returned is seen by the next read on this node. Thread-safe.
 */
final class MirrorChanges {
    private final String path;
    private final Duration timeout;
    private final LongSupplier nanoTime;
    private final Object lock = new Object();

    /**
     * @param path     the folder whose children are mirrored
     * @param timeout  the longest {@link #await} waits
     * @param nanoTime the monotonic clock the wait is measured on
     */
    MirrorChanges(String path, Duration timeout, LongSupplier nanoTime) {
        this.path = path;
        this.timeout = timeout;
        this.nanoTime = nanoTime;
    }

    /** The name of a direct child of the folder at {@code p}; empty for the folder itself or anything deeper. */
    Optional<String> childName(String p) {
        if (p.length() <= path.length() + 1 || !p.startsWith(path + "/")) {
            return Optional.empty();
        }
        String rest = p.substring(path.length() + 1);
        return rest.contains("/") ? Optional.empty() : Optional.of(rest);
    }

    /** The copy changed: wakes the writers waiting for it. */
    void changed() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    /**
     * Waits until {@code done} holds for the copy, at most the timeout; whether it did. An interrupted wait ends
     * at once (the interrupt is kept) with the current answer of {@code done}.
     */
    boolean await(BooleanSupplier done) {
        long deadline = nanoTime.getAsLong() + timeout.toNanos();
        synchronized (lock) {
            while (!done.getAsBoolean()) {
                long left = deadline - nanoTime.getAsLong();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return done.getAsBoolean();
                }
            }
            return true;
        }
    }
}
