package dev.nest.gateway;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One of the gateway's Netty event loops, as the gateway's code uses it: tasks handed to it from other threads
 * and cancellable timers. Every connection (a client's, and the pooled ones to upstream servers) belongs to one
 * loop and is touched only on its thread, so nothing the gateway keeps per connection needs a lock. Owned by
 * {@link Transport}, which closes the loops.
 */
final class EventLoop implements Executor {
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
    /** Encodes this loop's requests to runtime hosts (loop thread only). */
    final HostRequests hostRequests = new HostRequests(io.netty.buffer.ByteBufAllocator.DEFAULT);

    EventLoop(io.netty.channel.EventLoop netty, Transport transport) {
        this.netty = netty;
        this.upstream = new Upstream(this, transport);
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
