package dev.nest.pool;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The warm pools of one node: per runtime, a number of generic pods already started and healthy, so that a cold
 * start only has to specialize one ({@code /load}) instead of creating a pod and waiting for its host.
 *
 * <ul>
 *   <li>{@link #take} hands out the oldest ready pod of a runtime (a pool hit) when the function's memory fits
 *       the pool's, and asks for a refill in the background; an empty pool is a miss and the caller starts a
 *       pod of its own.</li>
 *   <li>{@link #maintain} (every second once {@link #start}ed, and after every take or size change) replaces
 *       pods that died, recycles pods unused for longer than the idle time, stops pods above the size, and starts
 *       the deficit.</li>
 *   <li>A failed start is not retried at once: the pool waits 1 s, doubling per consecutive failure up to 60 s,
 *       and reports the error in {@link #status()}; a size change retries at once.</li>
 * </ul>
 *
 * <p>A kept pod moves through {@link PoolPodState}: {@code READY} while it waits, then {@code TAKEN} (handed out,
 * never touched by the pool again) or {@code STOPPED} (stopped through the factory exactly once); an illegal move
 * fails loudly.
 *
 * <p>Threads: {@link #take} is called on cold-start threads, {@link #maintain} on the pool's scheduler thread,
 * pod starts run on the {@code starts} executor (virtual threads in production). All bookkeeping is guarded by
 * this object's lock, which is never held while a pod is started or stopped.
 *
 * @param <P> the handle of a started pod, opaque to the pool
 */
public final class WarmPool<P> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WarmPool.class.getName());
    static final long BACKOFF_MIN_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long BACKOFF_MAX_NANOS = TimeUnit.SECONDS.toNanos(60);
    static final long REFILL_DELAY_MS = 50;
    static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofSeconds(30);

    private final PodFactory<P> factory;
    private final Map<String, RuntimePool> pools = new LinkedHashMap<>();
    private final int maxSize;
    private final long idleNanos;
    private final LongSupplier nanoTime;
    private final Executor starts;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("nest-pool").daemon().unstarted(r));
    private boolean closed;
    private volatile boolean started;

    /** One runtime's pool. */
    private final class RuntimePool {
        final String runtime;
        final int memoryMb;
        final ArrayDeque<Member> ready = new ArrayDeque<>();
        int size;
        int starting;
        long hits;
        long misses;
        int failures;
        long retryAtNanos;
        String lastError = "";

        RuntimePool(String runtime, int size, int memoryMb) {
            this.runtime = runtime;
            this.size = size;
            this.memoryMb = memoryMb;
        }
    }

    /**
     * A started pod the pool keeps, since when it waits and its {@link PoolPodState}. A member is in its pool's
     * {@code ready} queue exactly while it is {@code READY}. Guarded by the pool's lock.
     */
    private final class Member {
        final P pod;
        final long readySinceNanos;
        private PoolPodState state = PoolPodState.READY;

        Member(P pod, long readySinceNanos) {
            this.pod = pod;
            this.readySinceNanos = readySinceNanos;
        }

        /** @throws IllegalStateException on a move {@link PoolPodState} does not allow */
        void moveTo(PoolPodState next) {
            if (!state.canMoveTo(next)) {
                throw new IllegalStateException("a pool pod cannot move from " + state + " to " + next);
            }
            state = next;
        }

        /** Leaves the pool to be stopped; returns its pod. */
        P stopped() {
            moveTo(PoolPodState.STOPPED);
            return pod;
        }
    }

    /** A runtime the pool may serve: its name, initial size and the memory of its pods. */
    public record Runtime(String name, int size, int memoryMb) {
    }

    /**
     * @param runtimes  every runtime of the node with its initial size (0 keeps none until resized)
     * @param maxSize   the largest size a pool may be given ({@code sidecar.max-pods})
     * @param idle      a pod unused for this long is replaced by a fresh one
     * @param nanoTime  the clock ({@link System#nanoTime} in production)
     * @param starts    runs pod starts (each blocks until its pod is healthy)
     */
    public WarmPool(PodFactory<P> factory, List<Runtime> runtimes, int maxSize, Duration idle, LongSupplier nanoTime,
                    Executor starts) {
        this.factory = factory;
        this.maxSize = maxSize;
        this.idleNanos = idle.toNanos();
        this.nanoTime = nanoTime;
        this.starts = starts;
        for (Runtime r : runtimes) {
            pools.put(r.name(), new RuntimePool(r.name(), Math.min(Math.max(0, r.size()), maxSize), r.memoryMb()));
        }
    }

    /** Starts filling the pools and maintaining them every second. */
    public void start() {
        start(java.time.Duration.ZERO);
    }

    /** Starts maintenance (and so the first fill) after {@code delay}, then a pass every second. */
    public void start(java.time.Duration delay) {
        started = true;
        ticker.scheduleWithFixedDelay(this::maintain, delay.toMillis(), 1_000, TimeUnit.MILLISECONDS);
    }

    /**
     * A ready pod of {@code runtime} for a function of {@code memoryMb}, or empty (the pool is empty, too small
     * for the function, or there is no pool of that runtime). A pod that is handed out leaves the pool for good:
     * the caller owns it and stops it. The pool does not refill at once: starting a pod competes for the CPU with
     * the specialization of the one just taken, so the caller calls {@link #refill} when that is done (the
     * periodic pass refills anyway).
     */
    public Optional<P> take(String runtime, int memoryMb) {
        Optional<P> out = Optional.empty();
        List<P> dead = new ArrayList<>();
        synchronized (this) {
            RuntimePool p = pools.get(runtime);
            if (p == null || closed || memoryMb > p.memoryMb || p.size == 0) {
                return Optional.empty();
            }
            while (!p.ready.isEmpty()) {
                Member m = p.ready.poll();
                if (!factory.alive(m.pod)) {
                    dead.add(m.stopped());
                    continue;
                }
                m.moveTo(PoolPodState.TAKEN);
                out = Optional.of(m.pod);
                break;
            }
            if (out.isPresent()) {
                p.hits++;
            } else {
                p.misses++;
            }
        }
        dead.forEach(factory::stop);
        if (out.isEmpty()) {
            schedule();
        }
        return out;
    }

    /**
     * Starts the deficit of the pools shortly (after a taken pod served its first request), instead of at the next
     * pass. The short delay lets that request's response reach its client before a new host competes for the CPU.
     */
    public void refill() {
        if (!started) {
            return;
        }
        try {
            ticker.schedule(this::maintain, REFILL_DELAY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // the node is stopping
        }
    }

    /** Ready pods {@link #take} could hand to a function of {@code runtime} with {@code memoryMb}. */
    public synchronized int available(String runtime, int memoryMb) {
        RuntimePool p = pools.get(runtime);
        return p == null || closed || memoryMb > p.memoryMb ? 0 : p.ready.size();
    }

    /**
     * Sets the size of {@code runtime}'s pool; pods above it are stopped, the deficit is started at once (a
     * backing-off pool retries now).
     *
     * @throws IllegalArgumentException naming the problem when the runtime is unknown or the size out of range
     */
    public void resize(String runtime, int size) {
        synchronized (this) {
            RuntimePool p = pools.get(runtime);
            if (p == null) {
                throw new IllegalArgumentException("there is no runtime '" + runtime + "' on this node; runtimes: "
                        + String.join(", ", pools.keySet()));
            }
            if (size < 0 || size > maxSize) {
                throw new IllegalArgumentException("pool size of " + runtime + " must be between 0 and " + maxSize
                        + " (sidecar.max-pods), got " + size);
            }
            p.size = size;
            p.failures = 0;
            p.retryAtNanos = 0;
        }
        schedule();
    }

    /** The pools of this node, by runtime name. */
    public synchronized List<PoolStatus> status() {
        long now = nanoTime.getAsLong();
        List<PoolStatus> out = new ArrayList<>();
        for (RuntimePool p : pools.values()) {
            long retry = p.failures > 0 ? Math.max(0, TimeUnit.NANOSECONDS.toMillis(p.retryAtNanos - now)) : 0;
            out.add(new PoolStatus(p.runtime, p.size, p.ready.size(), p.starting, p.memoryMb, p.hits, p.misses,
                    p.lastError, retry));
        }
        return out;
    }

    /** One pass over every pool: drop dead pods, recycle idle ones, trim, and start the deficit. */
    public void maintain() {
        List<P> stop = new ArrayList<>();
        List<String> start = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            long now = nanoTime.getAsLong();
            for (RuntimePool p : pools.values()) {
                for (Iterator<Member> it = p.ready.iterator(); it.hasNext(); ) {
                    Member m = it.next();
                    boolean dead = !factory.alive(m.pod);
                    if (dead) {
                        LOG.warning("a " + p.runtime + " pool pod died; replacing it");
                    }
                    if (dead || now - m.readySinceNanos >= idleNanos) {
                        it.remove();
                        stop.add(m.stopped());
                    }
                }
                while (p.ready.size() > p.size) {
                    stop.add(p.ready.pollLast().stopped());
                }
                int deficit = p.size - p.ready.size() - p.starting;
                if (deficit > 0 && now - p.retryAtNanos >= 0) {
                    // after a failure, one start probes the engine before the whole deficit is asked for again
                    int n = p.failures > 0 ? 1 : deficit;
                    p.starting += n;
                    for (int k = 0; k < n; k++) {
                        start.add(p.runtime);
                    }
                }
            }
        }
        stop.forEach(factory::stop);
        for (String runtime : start) {
            try {
                starts.execute(() -> startOne(runtime));
            } catch (RejectedExecutionException e) {
                synchronized (this) {
                    pools.get(runtime).starting--;
                    notifyAll();
                }
            }
        }
    }

    private void startOne(String runtime) {
        java.util.concurrent.atomic.AtomicReference<Member> self = new java.util.concurrent.atomic.AtomicReference<>();
        P pod;
        try {
            pod = factory.start(runtime, () -> onExit(runtime, self));
        } catch (RuntimeException e) {
            synchronized (this) {
                RuntimePool p = pools.get(runtime);
                p.starting--;
                notifyAll();
                long now = nanoTime.getAsLong();
                // starts made together that fail together count as one failure
                if (p.failures == 0 || now - p.retryAtNanos >= 0) {
                    p.failures++;
                    long backoff = Math.min(BACKOFF_MAX_NANOS, BACKOFF_MIN_NANOS << Math.min(p.failures - 1, 16));
                    p.retryAtNanos = now + backoff;
                }
                long backoff = p.retryAtNanos - now;
                p.lastError = String.valueOf(e.getMessage());
                LOG.warning("cannot start a " + runtime + " pool pod (attempt " + p.failures + ", next in "
                        + TimeUnit.NANOSECONDS.toMillis(backoff) + " ms): " + e.getMessage());
            }
            return;
        }
        boolean keep;
        synchronized (this) {
            RuntimePool p = pools.get(runtime);
            p.failures = 0;
            p.lastError = "";
            keep = !closed && p.ready.size() < p.size;
            if (keep) {
                Member m = new Member(pod, nanoTime.getAsLong());
                self.set(m);
                p.ready.add(m);
                p.starting--;
                notifyAll();
            }
        }
        if (!keep) {
            // stopped before it stops counting as starting: close() waits for it
            try {
                factory.stop(pod);
            } finally {
                synchronized (this) {
                    pools.get(runtime).starting--;
                    notifyAll();
                }
            }
        }
    }

    private void onExit(String runtime, java.util.concurrent.atomic.AtomicReference<Member> self) {
        P pod;
        synchronized (this) {
            Member m = self.get();
            if (m == null || m.state != PoolPodState.READY) {
                return; // exited while starting (the start fails), or after it was taken (its owner's business)
            }
            pools.get(runtime).ready.remove(m);
            pod = m.stopped();
        }
        LOG.warning("a " + runtime + " pool pod exited; replacing it");
        factory.stop(pod);
        schedule();
    }

    private void schedule() {
        if (!started) {
            return;
        }
        try {
            ticker.execute(this::maintain);
        } catch (RejectedExecutionException closing) {
            // the node is stopping
        }
    }

    /**
     * Stops maintenance and every pod still in a pool. Waits (at most {@code CLOSE_WAIT}) for pool pods being started
     * to finish starting, so that each is stopped here rather than after the node's driver has closed.
     */
    @Override
    public void close() {
        List<P> stop = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (RuntimePool p : pools.values()) {
                p.ready.forEach(m -> stop.add(m.stopped()));
                p.ready.clear();
            }
        }
        ticker.shutdownNow();
        stop.parallelStream().forEach(factory::stop);
        // a bound on a real wait for other threads, so the real clock (a test's frozen one would never end it)
        long end = System.nanoTime() + CLOSE_WAIT.toNanos();
        synchronized (this) {
            while (pools.values().stream().anyMatch(p -> p.starting > 0)) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    LOG.warning("pool pods still starting after " + CLOSE_WAIT.toSeconds() + " s of closing; the driver removes them");
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
