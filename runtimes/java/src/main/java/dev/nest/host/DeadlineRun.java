package dev.nest.host;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one invocation's work on a virtual thread of its own and ends it at the invocation's deadline: the caller (the
 * thread that answers the HTTP request) waits until the work is done or the deadline passes; at the deadline the work's
 * thread is interrupted and given {@link #INTERRUPT_GRACE_MILLIS} to finish. A thread that is still running then
 * ignores interruption (a busy loop, a blocking call that is not interruptible): the run is {@link Outcome#STUCK}, and
 * the host reports its instance unhealthy so that the node agent replaces it once its other requests are done.
 *
 * <p>Limits: Java cannot stop a thread that ignores interruption; a stuck thread keeps its CPU until the pod is stopped.
 * The wait and the grace use the JVM's monotonic clock; the deadline itself is wall-clock epoch milliseconds (the
 * {@code X-Nest-Deadline} header), read once with {@code nowMillis}.
 *
 * <p>Threads: {@link #run} is called by the answering thread and blocks it; the work runs on a new virtual thread.
 */
final class DeadlineRun<T> {
    /** How long an interrupted invocation may take to end before its instance counts as unhealthy. */
    static final long INTERRUPT_GRACE_MILLIS = 100;

    /** How a run ended. */
    enum Outcome {
        /** The work finished before the deadline (with a value or an exception). */
        DONE,
        /** The deadline passed; the interrupted work ended within the grace. */
        TIMED_OUT,
        /** The deadline passed and the work was still running after the grace. */
        STUCK,
        /** The answering thread itself was interrupted (the host is stopping); the work was interrupted too. */
        INTERRUPTED
    }

    private final Outcome outcome;
    private final T value;
    private final Throwable failure;

    private DeadlineRun(Outcome outcome, T value, Throwable failure) {
        this.outcome = outcome;
        this.value = value;
        this.failure = failure;
    }

    Outcome outcome() {
        return outcome;
    }

    /** The work's result when {@link Outcome#DONE} without a failure; null otherwise. */
    T value() {
        return value;
    }

    /** What the work threw when {@link Outcome#DONE}; null otherwise. */
    Throwable failure() {
        return failure;
    }

    /**
     * Runs {@code work} until {@code deadlineMillis} (epoch ms; {@link Long#MAX_VALUE}: no deadline, the work then runs
     * on the caller's thread; a deadline that passed already: {@link Outcome#TIMED_OUT} without running the work).
     *
     * @param name the work thread's name
     */
    static <T> DeadlineRun<T> run(Callable<T> work, long deadlineMillis, long nowMillis, long graceMillis, String name) {
        if (deadlineMillis == Long.MAX_VALUE) {
            try {
                return new DeadlineRun<>(Outcome.DONE, work.call(), null);
            } catch (Throwable t) {
                return new DeadlineRun<>(Outcome.DONE, null, t);
            }
        }
        if (deadlineMillis <= nowMillis) {
            return new DeadlineRun<>(Outcome.TIMED_OUT, null, null); // no time left: the work does not run at all
        }
        FutureTask<T> task = new FutureTask<>(work);
        Thread thread = Thread.ofVirtual().name(name).start(task);
        try {
            return new DeadlineRun<>(Outcome.DONE, task.get(Math.max(0, deadlineMillis - nowMillis), TimeUnit.MILLISECONDS), null);
        } catch (ExecutionException e) {
            return new DeadlineRun<>(Outcome.DONE, null, e.getCause() != null ? e.getCause() : e);
        } catch (TimeoutException e) {
            thread.interrupt();
            return new DeadlineRun<>(ended(thread, graceMillis) ? Outcome.TIMED_OUT : Outcome.STUCK, null, null);
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
            return new DeadlineRun<>(Outcome.INTERRUPTED, null, null);
        }
    }

    /**
     * Runs {@code work} on {@code threads} (an instance's own threads in a merged pod) until {@code deadlineMillis}, as
     * {@link #run} does on a virtual thread; without a deadline the caller waits for the work however long it takes.
     * A work still waiting for a thread at the deadline never runs ({@link Outcome#TIMED_OUT}); a started one is
     * interrupted and gets {@code graceMillis} to end, else it is {@link Outcome#STUCK} and keeps its thread.
     */
    static <T> DeadlineRun<T> runOn(FunctionThreads threads, Callable<T> work, long deadlineMillis, long nowMillis,
            long graceMillis) {
        if (deadlineMillis <= nowMillis) {
            return new DeadlineRun<>(Outcome.TIMED_OUT, null, null);
        }
        java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
        Future<T> task;
        try {
            task = threads.submit(() -> {
                started.set(true);
                try {
                    return work.call();
                } finally {
                    ended.countDown();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return new DeadlineRun<>(Outcome.INTERRUPTED, null, null); // the instance is being unloaded
        }
        try {
            T value = deadlineMillis == Long.MAX_VALUE ? task.get()
                    : task.get(Math.max(0, deadlineMillis - nowMillis), TimeUnit.MILLISECONDS);
            return new DeadlineRun<>(Outcome.DONE, value, null);
        } catch (ExecutionException e) {
            return new DeadlineRun<>(Outcome.DONE, null, e.getCause() != null ? e.getCause() : e);
        } catch (java.util.concurrent.CancellationException e) {
            return new DeadlineRun<>(Outcome.INTERRUPTED, null, null);
        } catch (TimeoutException e) {
            task.cancel(true);
            if (!started.get()) {
                return new DeadlineRun<>(Outcome.TIMED_OUT, null, null);
            }
            return new DeadlineRun<>(awaitEnd(ended, graceMillis) ? Outcome.TIMED_OUT : Outcome.STUCK, null, null);
        } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            return new DeadlineRun<>(Outcome.INTERRUPTED, null, null);
        }
    }

    private static boolean awaitEnd(java.util.concurrent.CountDownLatch ended, long graceMillis) {
        try {
            return ended.await(graceMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ended.getCount() == 0;
        }
    }

    private static boolean ended(Thread thread, long graceMillis) {
        try {
            return thread.join(Duration.ofMillis(graceMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !thread.isAlive();
        }
    }
}
