package dev.nest.sidecar;

import dev.nest.common.ErrorResponse;
import dev.nest.function.FunctionVersion;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The instances of one function version on this node and the requests waiting for one: the decisions of the
 * data path, with no I/O (times are passed in), so that they are tested directly.
 *
 * <ul>
 *   <li>A request takes the ready instance with the fewest in-flight requests below {@code concurrency}.</li>
 *   <li>Otherwise it waits in a FIFO queue bounded by {@code queue.size}; the set asks for as many new
 *       instances as the waiting requests need beyond the capacity already starting, up to
 *       {@code scaling.max}.</li>
 *   <li>An instance that becomes ready, or finishes a request, is handed to the oldest waiters at once, so
 *       no waiter waits for a whole burst to start.</li>
 *   <li>A handoff is <em>cold</em> only for a waiter that asked for a start itself (its arrival, or the loss of an
 *       instance while it waited, asked for one) and is handed a newly ready instance. A request that joins a start
 *       already under way (the scaler's, a placement's, or another request's) waits but is not a cold start, and
 *       neither is one handed an instance that finished a request.</li>
 *   <li>Idle instances above the minimum leave under the {@link KeepAliveRule}'s policy.</li>
 * </ul>
 * All methods are synchronized; callers complete the returned handoffs after the call, outside the lock.
 */
final class InstanceSet {
    private final FunctionVersion version;
    private final int concurrency;
    private final int max;
    private final int queueSize;
    private final List<Instance> ready = new ArrayList<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private int starting;
    private long served;
    private boolean lastSeenLive = true;
    private long stateSinceNanos = Long.MIN_VALUE;
    /** Releases counted in the current and the previous {@link #RATE_WINDOW_NANOS} window (the drain rate). */
    private long windowStartNanos = Long.MIN_VALUE;
    private int releasesNow;
    private int releasesBefore;
    /** Whether the previous window was observed (else the rate is over the current window alone). */
    private boolean previousWindow;
    /** When the oldest start in progress was asked for, and how long the last start took ({@code -1}: none seen). */
    private long startAskedNanos = Long.MIN_VALUE;
    private long lastStartNanos = -1;

    /** The window over which the release rate is measured. */
    static final long RATE_WINDOW_NANOS = 10_000_000_000L;
    /** The start time assumed before one was seen. */
    static final long DEFAULT_START_NANOS = 2_000_000_000L;

    /** A request waiting for an instance. */
    static final class Waiter {
        final long sinceNanos;
        final CompletableFuture<Handoff> future = new CompletableFuture<>();
        /** Whether a start was asked for this waiter (guarded by the set's lock). */
        private boolean startAsked;

        Waiter(long sinceNanos) {
            this.sinceNanos = sinceNanos;
        }
    }

    /** An instance given to a waiter; {@code cold} when the waiter asked for a start and a new instance served it. */
    record Handoff(Waiter waiter, Instance instance, boolean cold) {
    }

    /** The answer to {@link #acquire}: an instance now, or a waiter plus how many instances to start. */
    record Grant(Instance instance, Waiter waiter, int starts, boolean rejected) {
    }

    InstanceSet(FunctionVersion version) {
        this.version = version;
        this.concurrency = version.spec().concurrency();
        this.max = version.spec().scaling().max();
        this.queueSize = version.spec().queue().size();
    }

    FunctionVersion version() {
        return version;
    }

    synchronized Grant acquire(long nowNanos) {
        Instance best = leastLoaded();
        if (best != null) {
            best.inFlight++;
            best.lastUsedNanos = nowNanos;
            return new Grant(best, null, 0, false);
        }
        if (waiters.size() >= queueSize) {
            return new Grant(null, null, 0, true);
        }
        Waiter w = new Waiter(nowNanos);
        waiters.add(w);
        int starts = startsNeeded();
        startsAsked(starts, nowNanos);
        w.startAsked = starts > 0;
        return new Grant(null, w, starts, false);
    }

    private Instance leastLoaded() {
        Instance best = null;
        for (Instance i : ready) {
            // among equally loaded instances a burst worker comes last, so that burst workers idle (and are parked
            // by their merged host, and stopped first) while the function's own pods carry its steady load
            if (i.inFlight < concurrency && (best == null || i.inFlight < best.inFlight
                    || i.inFlight == best.inFlight && best.burst && !i.burst)) {
                best = i;
                if (i.inFlight == 0 && !i.burst) {
                    break;
                }
            }
        }
        return best;
    }

    private int startsNeeded() {
        int demand = waiters.size();
        int coming = starting * concurrency;
        if (demand <= coming) {
            return 0;
        }
        int wanted = (demand - coming + concurrency - 1) / concurrency;
        int room = max - ready.size() - starting;
        return Math.max(0, Math.min(wanted, room));
    }

    private void startsAsked(int n, long nowNanos) {
        if (n > 0 && starting == 0) {
            startAskedNanos = nowNanos;
        }
        starting += n;
    }

    /** One more instance is starting besides what requests asked for (a move to another placement). */
    synchronized void startOne() {
        starting++;
    }

    /** Starts that were asked for but could not be made (node at capacity). */
    synchronized void startsAborted(int n) {
        starting -= n;
    }

    /** Asks for instances so that at least {@code min} exist; returns how many to start. */
    synchronized int deficit(int min) {
        int n = Math.max(0, Math.min(min, max) - ready.size() - starting);
        starting += n;
        return n;
    }

    /** A started instance is ready: it serves the oldest waiters first. */
    synchronized List<Handoff> ready(Instance instance, long nowNanos) {
        starting--;
        if (startAskedNanos != Long.MIN_VALUE) {
            lastStartNanos = Math.max(0, nowNanos - startAskedNanos);
            startAskedNanos = starting > 0 ? nowNanos : Long.MIN_VALUE;
        }
        ready.add(instance);
        instance.lastUsedNanos = nowNanos;
        List<Handoff> out = new ArrayList<>();
        while (instance.inFlight < concurrency && !waiters.isEmpty()) {
            instance.inFlight++;
            Waiter w = waiters.poll();
            out.add(new Handoff(w, instance, w.startAsked));
        }
        return out;
    }

    /**
     * A start failed. When nothing else can serve the waiters (no instance ready or starting), they all fail
     * with the start's error; returns those waiters.
     */
    synchronized List<Waiter> startFailed() {
        starting--;
        if (starting == 0 && ready.isEmpty()) {
            List<Waiter> failed = new ArrayList<>(waiters);
            waiters.clear();
            return failed;
        }
        return List.of();
    }

    /** A request finished on {@code instance}; the instance may go straight to the next waiter. */
    synchronized Handoff release(Instance instance, long nowNanos) {
        instance.inFlight--;
        instance.served++;
        served++;
        countRelease(nowNanos);
        instance.lastUsedNanos = nowNanos;
        if (instance.state() == InstanceState.READY && ready.contains(instance) && !waiters.isEmpty()) {
            instance.inFlight++;
            return new Handoff(waiters.poll(), instance, false);
        }
        return null;
    }

    /** The waiter gave up (timeout); false when it was handed an instance concurrently. */
    synchronized boolean cancel(Waiter w) {
        return waiters.remove(w);
    }

    /** An instance left (died, recycled); returns how many instances to start for the remaining waiters. */
    synchronized int remove(Instance instance) {
        if (!ready.remove(instance)) {
            return 0;
        }
        int starts = startsNeeded();
        starting += starts;
        int owners = starts;
        for (Waiter w : waiters) {
            if (owners == 0) {
                break;
            }
            if (!w.startAsked) {
                w.startAsked = true;
                owners--;
            }
        }
        return starts;
    }

    /**
     * {@code instance} takes no new request (its host reported it unhealthy): it leaves the ready instances; returns
     * how many instances to start for the remaining waiters. See {@link #retiredIdle}.
     */
    synchronized int retire(Instance instance) {
        instance.retired = true;
        return remove(instance);
    }

    /**
     * Whether {@code instance} is retired and has no request left in flight, the first time this is so: the caller
     * then stops it (once).
     */
    synchronized boolean retiredIdle(Instance instance) {
        if (instance.retired && instance.inFlight == 0 && !instance.retiredStopClaimed) {
            instance.retiredStopClaimed = true;
            return true;
        }
        return false;
    }

    private void countRelease(long nowNanos) {
        rollWindow(nowNanos);
        releasesNow++;
    }

    private void rollWindow(long nowNanos) {
        if (windowStartNanos == Long.MIN_VALUE) {
            windowStartNanos = nowNanos;
        }
        long elapsed = nowNanos - windowStartNanos;
        if (elapsed >= 2 * RATE_WINDOW_NANOS) {
            releasesBefore = 0;
            releasesNow = 0;
            windowStartNanos = nowNanos;
            previousWindow = true;
        } else if (elapsed >= RATE_WINDOW_NANOS) {
            releasesBefore = releasesNow;
            releasesNow = 0;
            windowStartNanos += RATE_WINDOW_NANOS;
            previousWindow = true;
        }
    }

    /**
     * When a request refused now (queue full, or no instance within its wait) may be served: see
     * {@link #retryAfterSeconds(int, double, int, long, long)}, with this set's waiters, its release rate over the
     * last 10 to 20 s (since the first release while there is less), its starts in progress and the duration of
     * its last start.
     */
    synchronized int retryAfterSeconds(long nowNanos) {
        rollWindow(nowNanos);
        long current = Math.max(0, nowNanos - windowStartNanos);
        double windowSeconds = (previousWindow ? RATE_WINDOW_NANOS + current : Math.max(current, 1_000_000_000L)) / 1e9;
        double rate = (releasesBefore + releasesNow) / windowSeconds;
        long startNanos = lastStartNanos >= 0 ? lastStartNanos : DEFAULT_START_NANOS;
        long startedFor = startAskedNanos == Long.MIN_VALUE ? 0 : Math.max(0, nowNanos - startAskedNanos);
        return retryAfterSeconds(waiters.size(), rate, starting, Math.max(0, startNanos - startedFor),
                version.spec().queue().timeout().toNanos());
    }

    /**
     * The retry estimate, a pure function: the client would be behind {@code waiting} requests. With a drain rate
     * (releases per second) it takes {@code (waiting + 1) / rate} seconds to reach the head of the queue; an instance
     * that is starting frees room in {@code startLeftNanos}; the sooner of the two counts. With neither, the queue
     * timeout (the longest a waiter waits before room is made or it gives up). Rounded up, bounded to 1..60 s.
     */
    static int retryAfterSeconds(int waiting, double releasesPerSecond, int starting, long startLeftNanos,
                                 long queueTimeoutNanos) {
        double best = Double.MAX_VALUE;
        if (releasesPerSecond > 0) {
            best = (waiting + 1) / releasesPerSecond;
        }
        if (starting > 0) {
            best = Math.min(best, startLeftNanos / 1e9);
        }
        if (best == Double.MAX_VALUE) {
            best = queueTimeoutNanos / 1e9;
        }
        return ErrorResponse.clampRetryAfter((long) Math.ceil(best));
    }

    /**
     * Idle instances to stop under {@code policy} (see {@link KeepAliveRule}): those with no request in flight that
     * the policy finds expired, oldest first, keeping at least {@code policy.keep()}. They leave the set before this
     * returns.
     */
    synchronized List<Instance> expire(long nowNanos, KeepAliveRule.Policy policy) {
        List<Instance> idle = new ArrayList<>();
        for (Instance i : ready) {
            if (i.inFlight == 0 && policy.expired(i.lastUsedNanos, nowNanos)) {
                idle.add(i);
            }
        }
        // burst workers first (a scale-down stops them before the function's own pods), then the longest idle
        idle.sort(Comparator.comparing((Instance i) -> !i.burst).thenComparingLong(i -> i.lastUsedNanos));
        int removable = Math.max(0, ready.size() - policy.keep());
        List<Instance> out = new ArrayList<>(idle.subList(0, Math.min(removable, idle.size())));
        ready.removeAll(out);
        return out;
    }

    /** All ready instances (for stopping everything or listing). */
    synchronized List<Instance> instances() {
        return List.copyOf(ready);
    }

    synchronized List<Instance> drainAll() {
        List<Instance> all = List.copyOf(ready);
        ready.clear();
        return all;
    }

    synchronized int waiting() {
        return waiters.size();
    }

    synchronized int starting() {
        return starting;
    }

    synchronized int inFlight() {
        int n = 0;
        for (Instance i : ready) {
            n += i.inFlight;
        }
        return n;
    }

    /**
     * Records whether the version is live; returns since when it is in that state ({@code Long.MIN_VALUE} for a
     * version that has been live all along). Idle time counts from there at the earliest: an instance is not idle
     * by choice while its version is not live, and one whose version just became live again must not expire at once.
     */
    synchronized long liveChange(boolean live, long nowNanos) {
        if (live != lastSeenLive) {
            lastSeenLive = live;
            stateSinceNanos = nowNanos;
        }
        return stateSinceNanos;
    }

    /** Whether a ready instance began its start after {@code nanos} (strictly). */
    synchronized boolean startedAfter(long nanos) {
        for (Instance i : ready) {
            if (i.startedNanos - nanos > 0) {
                return true;
            }
        }
        return false;
    }

    /** Ready instances. */
    synchronized int readyCount() {
        return ready.size();
    }

    /**
     * Stops {@code instance} if it is idle and the set holds more than {@code keep} ready instances; it leaves
     * the set before this returns. Used when a target lowers the count while the instance was busy.
     */
    synchronized boolean removeIfIdleAbove(Instance instance, int keep) {
        if (instance.inFlight == 0 && ready.size() > keep && waiters.isEmpty()) {
            return ready.remove(instance);
        }
        return false;
    }

    /**
     * {@link #removeIfIdleAbove} that stops an idle burst worker ({@link Instance#burst}) of the set in place of
     * {@code instance} when {@code instance} is not one: a scale-down takes burst workers first. Returns the instance
     * that left the set, if any.
     */
    synchronized java.util.Optional<Instance> removeIdleAbove(Instance instance, int keep) {
        if (instance.inFlight != 0 || ready.size() <= keep || !waiters.isEmpty() || !ready.contains(instance)) {
            return java.util.Optional.empty();
        }
        Instance out = instance;
        if (!instance.burst) {
            for (Instance i : ready) {
                if (i.burst && i.inFlight == 0) {
                    out = i;
                    break;
                }
            }
        }
        ready.remove(out);
        return java.util.Optional.of(out);
    }

    /** A snapshot for the autoscaler. */
    synchronized FunctionLoad load() {
        int busy = 0;
        int inFlight = 0;
        double cpu = 0;
        long memory = 0;
        int measured = 0;
        for (Instance i : ready) {
            inFlight += i.inFlight;
            if (i.inFlight > 0) {
                busy++;
            }
            double c = i.cpuCores();
            long m = i.memoryBytes();
            if (!Double.isNaN(c) && m >= 0) {
                cpu += c;
                memory += m;
                measured++;
            }
        }
        return new FunctionLoad(version.spec().id(), version.version(), ready.size(), busy, inFlight, starting,
                waiters.size(), served, cpu, memory / (1024.0 * 1024.0), measured);
    }

    synchronized boolean isEmpty() {
        return ready.isEmpty() && starting == 0 && waiters.isEmpty();
    }
}
