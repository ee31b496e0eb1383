package dev.nest.it;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assertions;

/** Waits for a condition by polling: bounded, no fixed sleeps in the tests themselves. */
public final class Poll {
    public static final Duration DEFAULT = Duration.ofSeconds(20);
    private static final long PAUSE_MS = 25;

    private Poll() {
    }

    /**
     * Calls {@code probe} until {@code done} accepts its value, at most {@link #DEFAULT}; returns that value.
     * A probe that throws counts as "not yet". Fails naming {@code what} and the last value or exception.
     */
    public static <T> T until(String what, Supplier<T> probe, Predicate<? super T> done) {
        return until(what, DEFAULT, probe, done);
    }

    public static <T> T until(String what, Duration timeout, Supplier<T> probe, Predicate<? super T> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        RuntimeException lastError = null;
        while (true) {
            try {
                last = probe.get();
                lastError = null;
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                lastError = e;
            }
            if (System.nanoTime() > deadline) {
                String seen = lastError != null ? "last attempt threw " + lastError : "last value: " + last;
                return Assertions.fail("timed out after " + timeout.toMillis() + " ms waiting for " + what + "; " + seen,
                        lastError);
            }
            try {
                Thread.sleep(PAUSE_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Assertions.fail("interrupted while waiting for " + what);
            }
        }
    }
}
