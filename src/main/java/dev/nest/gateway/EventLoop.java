package dev.nest.gateway;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One selector thread: runs the I/O of its connections, tasks handed to it from other threads, and timers.
 * Everything attached to a loop is touched only by the loop's thread, so connections need no locks.
 */
final class EventLoop implements Executor, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventLoop.class.getName());

    /** Something registered with the selector. */
    interface IoHandler {
        void ready(SelectionKey key) throws IOException;

        /** The handler threw; it must release what it holds. */
        void failed(Throwable t);
    }

    /** A cancellable timer; fires on the loop thread. */
    static final class Timer implements Comparable<Timer> {
        final long at;
        final Runnable task;
        boolean cancelled;

        Timer(long at, Runnable task) {
            this.at = at;
            this.task = task;
        }

        void cancel() {
            cancelled = true;
        }

        @Override
        public int compareTo(Timer o) {
            return Long.compare(at, o.at);
        }
    }

    final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeup = new AtomicBoolean();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private volatile boolean running = true;

    EventLoop(String name) throws IOException {
        this.selector = Selector.open();
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (!inLoop() && wakeup.compareAndSet(false, true)) {
            selector.wakeup();
        }
    }

    /** Schedules {@code task} after {@code delayNanos}; loop thread only. */
    Timer schedule(long delayNanos, Runnable task) {
        Timer t = new Timer(System.nanoTime() + delayNanos, task);
        timers.add(t);
        return t;
    }

    private void run() {
        while (running) {
            try {
                long timeout = 0;
                Timer next = timers.peek();
                while (next != null && next.cancelled) {
                    timers.poll();
                    next = timers.peek();
                }
                if (next != null) {
                    timeout = Math.max(1, (next.at - System.nanoTime() + 999_999) / 1_000_000);
                }
                if (!tasks.isEmpty()) {
                    selector.selectNow(this::dispatch);
                } else {
                    selector.select(this::dispatch, timeout);
                }
                wakeup.set(false);
                Runnable r;
                while ((r = tasks.poll()) != null) {
                    try {
                        r.run();
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "gateway task failed", e);
                    }
                }
                long now = System.nanoTime();
                while ((next = timers.peek()) != null && (next.cancelled || next.at <= now)) {
                    timers.poll();
                    if (!next.cancelled) {
                        try {
                            next.task.run();
                        } catch (RuntimeException e) {
                            LOG.log(Level.WARNING, "gateway timer failed", e);
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    LOG.log(Level.WARNING, "gateway event loop", e);
                }
            }
        }
    }

    private void dispatch(SelectionKey key) {
        IoHandler h = (IoHandler) key.attachment();
        try {
            h.ready(key);
        } catch (Throwable t) {
            h.failed(t);
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(2_000);
            for (SelectionKey k : selector.keys()) {
                try {
                    k.channel().close();
                } catch (IOException ignored) {
                    // closing
                }
            }
            selector.close();
        } catch (IOException | InterruptedException e) {
            LOG.log(Level.FINE, "closing event loop", e);
        }
    }
}
