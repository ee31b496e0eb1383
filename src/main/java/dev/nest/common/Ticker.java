package dev.nest.common;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * A platform thread that runs a round every interval and at once when {@link #wake woken}. A round that ran late is
 * not caught up: the next one is an interval after it. A round's exception goes to {@code failed} and the rounds go
 * on. Used by the loops that must react within a second and at once to an event (the scaler, the load reports).
 */
public final class Ticker implements AutoCloseable {
    /** The lifecycle. */
    public enum State { NEW, RUNNING, CLOSED }

    private final String threadName;
    private final Duration interval;
    private final Runnable round;
    private final Consumer<RuntimeException> failed;
    private final Object signal = new Object();
    private boolean woken;
    private volatile State state = State.NEW;
    private Thread thread;

    /**
     * @param threadName the round thread's name
     * @param interval   time between rounds
     * @param round      one round
     * @param failed     told of a round's exception (logging it, typically)
     */
    public Ticker(String threadName, Duration interval, Runnable round, Consumer<RuntimeException> failed) {
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("a ticker needs a positive interval, not " + interval);
        }
        this.threadName = threadName;
        this.interval = interval;
        this.round = round;
        this.failed = failed;
    }

    /** Starts the round thread; the first round runs at once. */
    public synchronized void start() {
        if (state != State.NEW) {
            throw new IllegalStateException(threadName + " is " + state);
        }
        state = State.RUNNING;
        thread = Thread.ofPlatform().name(threadName).daemon().start(this::run);
    }

    public State state() {
        return state;
    }

    /** Runs a round now (or right after the one running). */
    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void run() {
        long next = System.nanoTime();
        while (state == State.RUNNING) {
            synchronized (signal) {
                long wait;
                while (!woken && state == State.RUNNING && (wait = next - System.nanoTime()) > 0) {
                    try {
                        signal.wait(Math.max(1, wait / 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                woken = false;
            }
            if (state != State.RUNNING) {
                return;
            }
            long started = System.nanoTime();
            if (started - next >= 0) {
                next += interval.toNanos();
                if (started - next >= 0) {
                    next = started + interval.toNanos(); // a slow round: skip, do not catch up
                }
            }
            try {
                round.run();
            } catch (RuntimeException e) {
                failed.accept(e);
            }
        }
    }

    /** Stops the rounds and waits up to three intervals for the one running. */
    @Override
    public void close() {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
        }
        wake();
        if (thread != null) {
            try {
                thread.join(interval.toMillis() * 3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
