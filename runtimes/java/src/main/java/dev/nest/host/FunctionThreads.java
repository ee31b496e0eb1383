package dev.nest.host;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One instance's own threads in a merged pod (ADR 0025): a pool of platform threads that runs only this instance's
 * invocations, so that a function that keeps all its threads busy (a slow dependency, a CPU-bound loop, a runaway
 * that ignores its interruption) queues only its own work and cannot starve the pod's other functions, as it could on
 * the host's shared virtual-thread carriers. Platform threads also make the JVM's per-thread counters exact: each
 * invocation's CPU time and allocated bytes are read from its thread ({@link ThreadMeter}) and summed per instance,
 * including the invocations running now.
 *
 * <p>Size: {@code threads} (the instance's {@code limits.concurrency}, 1 to {@link #MAX_THREADS}); idle threads end
 * after {@link #IDLE_SECONDS} s, so an idle function holds no thread. The queue is unbounded: the node agent sends an
 * instance at most its concurrency, so work waits only behind a thread that overran its deadline.
 *
 * <p>Failure: a thread that never ends its work (Java cannot stop it) keeps its place in the pool; later invocations
 * then wait in the queue and end at their deadline; the host reports the instance unhealthy and the node agent moves
 * the pod's other instances away before it stops the pod. Counters are monotonic: a reading never goes below the last.
 *
 * <p>Threads: {@link #submit} and {@link #usage} from any thread; {@link #close} once, from the unloading thread.
 */
final class FunctionThreads implements AutoCloseable {
    /** The most threads one instance gets. */
    static final int MAX_THREADS = 256;
    /** Seconds an idle thread waits for work before it ends. */
    static final int IDLE_SECONDS = 30;

    /** CPU time and allocation so far of the instance's invocations. */
    record Usage(long cpuNanos, long allocatedBytes) {
    }

    private final ThreadPoolExecutor pool;
    private final ThreadMeter meter;
    /** Readings taken when each thread's current invocation began. */
    private final Map<Thread, long[]> running = new ConcurrentHashMap<>();
    private long cpuDone;
    private long allocatedDone;
    private long lastCpu;
    private long lastAllocated;

    FunctionThreads(String instanceId, int threads, ThreadMeter meter) {
        int n = Math.max(1, Math.min(MAX_THREADS, threads));
        this.meter = meter;
        this.pool = new ThreadPoolExecutor(n, n, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                new Named("nest-fn-" + instanceId + "-"));
        pool.allowCoreThreadTimeOut(true);
    }

    /**
     * Runs {@code work} on one of the instance's threads, measured; the future cancels with interruption. The
     * invocation's readings are added before the future completes, so a caller that saw it done also sees it counted
     * and no longer {@link #busy}.
     */
    <T> Future<T> submit(Callable<T> work) {
        Measured<T> task = new Measured<>(work);
        pool.execute(task);
        return task;
    }

    /** Adds the readings of the invocation {@code t} runs; once per invocation (a second call finds nothing). */
    private void account(Thread t) {
        long cpu = meter.currentCpuNanos();
        long allocated = meter.currentAllocatedBytes();
        synchronized (this) {
            long[] start = running.remove(t);
            if (start == null) return;
            cpuDone += Math.max(0, cpu - start[0]);
            allocatedDone += Math.max(0, allocated - start[1]);
        }
    }

    /** A task that counts itself when its result is set, before its waiters are released. */
    private final class Measured<T> extends FutureTask<T> {
        Measured(Callable<T> work) {
            super(work);
        }

        @Override
        public void run() {
            Thread t = Thread.currentThread();
            running.put(t, new long[] {meter.currentCpuNanos(), meter.currentAllocatedBytes()});
            try {
                super.run();
            } finally {
                account(t); // cancelled: no result was set
                Thread.interrupted(); // an interruption meant for this invocation does not reach the next one
            }
        }

        @Override
        protected void set(T value) {
            account(Thread.currentThread());
            super.set(value);
        }

        @Override
        protected void setException(Throwable failure) {
            account(Thread.currentThread());
            super.setException(failure);
        }
    }

    /** The CPU time and allocation of every invocation so far, the running ones up to now. */
    synchronized Usage usage() {
        long cpu = cpuDone;
        long allocated = allocatedDone;
        for (Map.Entry<Thread, long[]> e : running.entrySet()) {
            long id = e.getKey().threadId();
            long c = meter.cpuNanos(id);
            long a = meter.allocatedBytes(id);
            if (c >= 0 && e.getValue()[0] >= 0) cpu += Math.max(0, c - e.getValue()[0]);
            if (a >= 0 && e.getValue()[1] >= 0) allocated += Math.max(0, a - e.getValue()[1]);
        }
        lastCpu = Math.max(lastCpu, cpu);
        lastAllocated = Math.max(lastAllocated, allocated);
        return new Usage(lastCpu, lastAllocated);
    }

    /** Whether the JVM gives the counters ({@link #usage} is all zeros otherwise). */
    boolean measured() {
        return meter != ThreadMeter.NONE;
    }

    /** Threads that run an invocation now. */
    int busy() {
        return running.size();
    }

    /** Takes no new work; running invocations go on (a stuck one until the pod stops), idle threads end. */
    @Override
    public void close() {
        pool.shutdown();
    }

    private static final class Named implements ThreadFactory {
        private final String prefix;
        private final AtomicInteger next = new AtomicInteger();

        Named(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, prefix + next.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
