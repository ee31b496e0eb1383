package dev.nest.cluster;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.KeeperException;

/**
 * The writes of a ZooKeeper-backed store (tokens, namespaces), each bounded by the operation timeout: Curator's own
 * retries of a lost connection would otherwise hold the caller far longer. A write runs on its own virtual thread;
 * the caller waits at most the timeout, then gets {@link KeeperException.OperationTimeoutException}, which
 * {@link #failure} turns into an error that says ZooKeeper is unreachable and where to look. Thread-safe.
 */
final class BoundedWrites {
    private final Duration timeout;
    private final String threadName;

    BoundedWrites(Duration timeout, String threadName) {
        this.timeout = timeout;
        this.threadName = threadName;
    }

    /** Runs {@code op} on its own thread and waits for it at most the operation timeout. */
    <T> T within(Callable<T> op) throws Exception {
        FutureTask<T> task = new FutureTask<>(op);
        Thread.ofVirtual().name(threadName).start(task);
        try {
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            task.cancel(true);
            throw KeeperException.create(KeeperException.Code.OPERATIONTIMEOUT);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            task.cancel(true);
            throw e;
        }
    }

    /** The error for a write ({@code what}) that failed with {@code e}, naming the cause and where to look. */
    ClusterException failure(String what, Exception e) {
        if (e instanceof KeeperException.OperationTimeoutException) {
            return new ClusterException("cannot " + what + " within " + timeout.toMillis() + " ms: ZooKeeper is "
                    + "unreachable (see GET /api/v1/cluster)", e);
        }
        return new ClusterException("cannot " + what + ": " + e.getMessage() + " (is ZooKeeper reachable? see GET "
                + "/api/v1/cluster)", e);
    }
}
