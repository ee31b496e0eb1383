package dev.nest.gateway;

import java.util.ArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One of the gateway's Netty event loops, as the gateway's code uses it: tasks handed to it from other threads
 * and cancellable timers. Every connection (a client's, and the pooled ones to upstream servers) belongs to one
 * loop and is touched only on its thread, so nothing the gateway keeps per connection needs a lock. Owned by
 * {@link Transport}, which closes the loops.
 *
 * <p>Hand-offs to other threads (an invocation's record goes to the store's and the report's writer threads, each
 * behind a queue whose writer sleeps when it is empty) are {@link #batched}: run together once the loop has
 * handled what one wake-up from epoll brought, so that a burst of answers wakes each writer once rather than once
 * per answer. A batched task that throws is logged (once per loop) and does not stop the others.
 */
final class EventLoop implements Executor {
    private static final Logger LOG = Logger.getLogger(EventLoop.class.getName());

    /** A cancellable timer; fires on the loop thread. */
    static final class Timer {
        private final io.netty.util.concurrent.Future<?> future;

        private Timer(io.netty.util.concurrent.Future<?> future) {
            this.future = future;
        }

        void cancel() {
            future.cancel(false);
        }
    }

    final io.netty.channel.EventLoop netty;
    /** The loop's pooled upstream connections. */
    final Upstream upstream;

    private ArrayList<Runnable> batch = new ArrayList<>();
    private ArrayList<Runnable> spare = new ArrayList<>();
    private final Runnable runBatch = this::runBatch;
    private boolean batchFailureLogged;

    EventLoop(io.netty.channel.EventLoop netty, Transport transport) {
        this.netty = netty;
        this.upstream = new Upstream(this, transport);
    }

    /**
     * Runs {@code task} on this loop after the I/O it is handling now (in the same turn of the loop, before it waits
     * for more), together with the other tasks batched in this turn, in order. From another thread: at once.
     */
    void batched(Runnable task) {
        if (!netty.inEventLoop()) {
            task.run();
            return;
        }
        if (batch.isEmpty()) {
            netty.execute(runBatch);
        }
        batch.add(task);
    }

    private void runBatch() {
        ArrayList<Runnable> tasks = batch;
        batch = spare;
        spare = tasks;
        for (int i = 0; i < tasks.size(); i++) {
            try {
                tasks.get(i).run();
            } catch (RuntimeException e) {
                if (!batchFailureLogged) {
                    batchFailureLogged = true;
                    LOG.log(Level.WARNING, "a hand-off from the gateway's loop failed (later failures are not logged)", e);
                }
            }
        }
        tasks.clear();
    }

    boolean inLoop() {
        return netty.inEventLoop();
    }

    @Override
    public void execute(Runnable task) {
        netty.execute(task);
    }

    /** Runs {@code task} on the loop after {@code delayNanos} (at once when it is not positive); any thread. */
    Timer schedule(long delayNanos, Runnable task) {
        return new Timer(netty.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS));
    }
}
