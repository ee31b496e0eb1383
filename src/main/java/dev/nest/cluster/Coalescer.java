package dev.nest.cluster;

import java.time.Duration;
import java.util.Objects;

/**
 * When a periodically sampled value is written to ZooKeeper: only when it differs from what was written last, and
 * at most once per interval, so that a burst of changes becomes one write of the latest value (the first sample
 * after the interval carries it). Pure: the caller passes the time, so tests need no clock and no sleep.
 * Thread-safe.
 *
 * @param <T> the value; compared with {@link Objects#equals}
 */
final class Coalescer<T> {
    private final long intervalNanos;
    private boolean any;
    private boolean retry;
    private T written;
    private long writtenAt;

    Coalescer(Duration interval) {
        if (interval.isNegative()) {
            throw new IllegalArgumentException("a negative interval: " + interval);
        }
        this.intervalNanos = interval.toNanos();
    }

    /**
     * Whether {@code value}, sampled at {@code nanoTime} ({@link System#nanoTime} scale), is to be written now. When
     * it is, it counts as written at that time; call {@link #failed} if the write then fails.
     */
    synchronized boolean due(T value, long nanoTime) {
        if (any && !retry && Objects.equals(value, written)) {
            return false;
        }
        if (any && nanoTime - writtenAt < intervalNanos) {
            return false;
        }
        any = true;
        retry = false;
        written = value;
        writtenAt = nanoTime;
        return true;
    }

    /** The last write did not happen: the next sample is written even if equal (still no sooner than the interval). */
    synchronized void failed() {
        retry = true;
    }
}
