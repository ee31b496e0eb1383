package dev.nest.spi;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The stop sequence every built-in driver follows, for {@link Pod#stop}: ask the host to end (SIGTERM), wait up to
 * the grace period for its end, then force it (SIGKILL, removal with force) and wait a bounded time more for the end
 * to be reported.
 *
 * <p>Failure: the steps handle their own errors (an engine that is down, a pod that is gone); a wait that runs out or
 * whose future failed goes on with the next step; an interrupted wait keeps the thread's interrupt status and goes on
 * (a later wait then returns at once). Threading: runs on the caller's thread and blocks it for at most
 * {@code grace + forceWait} plus the time the steps take.
 */
public final class PodStop {
    private PodStop() {
    }

    /**
     * Runs the sequence. {@code terminate} runs only while {@code ended} is not done and {@code grace} is positive;
     * {@code force} always runs (a pod that ended may still need removing) and answers whether its end should be
     * awaited for up to {@code forceWait}.
     */
    public static void run(CompletableFuture<?> ended, Duration grace, Duration forceWait, Runnable terminate,
                           BooleanSupplier force) {
        if (!ended.isDone() && grace.toMillis() > 0) {
            terminate.run();
            await(ended, grace);
        }
        if (force.getAsBoolean() && !ended.isDone()) {
            await(ended, forceWait);
        }
    }

    /**
     * Stops every pod of {@code pods} at once (in parallel), each with {@code grace}, then runs {@code then} (a
     * driver's release of its engine), also when a stop threw. For a driver's {@code close()}.
     */
    public static void all(Collection<? extends Pod> pods, Duration grace, Runnable then) {
        try {
            pods.parallelStream().forEach(p -> p.stop(grace));
        } finally {
            then.run();
        }
    }

    /** Waits up to {@code timeout} for {@code future}; whether it completed (normally or not) within it. */
    public static boolean await(CompletableFuture<?> future, Duration timeout) {
        try {
            future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException e) {
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return future.isDone();
        }
    }
}
