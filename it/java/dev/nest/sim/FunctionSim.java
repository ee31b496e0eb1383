package dev.nest.sim;

import dev.nest.function.MetricType;
import dev.nest.scaler.Decision;
import dev.nest.scaler.FunctionMetrics;
import dev.nest.scaler.IdleHistogram;
import dev.nest.scaler.ScalerState;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.SplittableRandom;

/**
 * One function under one policy for the whole trace, as a discrete-event simulation in virtual milliseconds.
 *
 * <p>The model: each minute's invocations arrive at uniformly random times within the minute (seeded, the
 * same for every policy; given the count, that is a Poisson process); each runs for the function's average
 * duration on an instance of its own (one request per instance). A request that finds an idle instance starts
 * at once (the most recently used instance is taken, so that surplus instances idle out); otherwise it waits
 * in a FIFO queue for the first instance that becomes free or finishes starting. A start takes the modelled
 * cold-start cost. Instances are provisioned from the start of their cold start until they are stopped.
 *
 * <p>A request counts as a cold start when it was served by an instance that finished starting while it
 * waited; its wait is the time from arrival to the start of execution. Figures are accounted up to the end of
 * the trace's last minute.
 *
 * <p>Under a {@link Policy.Merged} policy the function is, at any time, either merged or dedicated: it starts
 * merged when its first minute's traffic is under {@code merge-below} and changes at each minute's end as
 * {@link MergedModel#move} says for the minute that ended (all its instances move; a move costs the new
 * placement's start with both held, and no request waits for it). While merged, a start is a worker start
 * ({@link MergedModel#workerStartMs}, counted apart from pod cold starts), an idle instance is parked after
 * {@code idle-unload-ms}, and a request that takes a parked instance waits for a worker. Memory follows
 * {@link MergedModel}. Limits: the node agent places each new instance by the traffic of the last minute at its
 * start and moves ready ones on its own clock; here a function's instances move together, once a minute, and an
 * idle instance moved into a merged pod is parked by its idle time, not by the time of its move.
 */
final class FunctionSim {
    private static final long NONE = Long.MAX_VALUE;

    private final Trace.Function fn;
    private final Policy policy;
    /** Merged placement's inputs, or null for a policy without it. */
    private final MergedModel model;
    private boolean merged;
    private long nextMinute = NONE;
    private final LongRing workerStarting = new LongRing();
    private final long seed;
    private final long coldMs;
    private final long endMs;
    private final int max;
    private final Totals t;

    private final LongRing idle = new LongRing();
    private final LongRing starting = new LongRing();
    private final LongRing busy = new LongRing();
    private final LongRing waiting = new LongRing();
    private int instances;
    private int pendingStops;
    private long idleSince;
    private boolean called;
    private IdleHistogram histogram = IdleHistogram.empty();
    /** With {@link MergedModel#burstWorkers}: instances beyond this many (the steady need) run as merged workers. */
    private int steady = Integer.MAX_VALUE;

    // per-second concurrency (busy + waiting) integrals, in request-ms, and their prefix sums
    private final double[] secSum;
    private final int[] secMax;
    private final double[] cum;
    private int cumUpTo;
    private long accountedTo;

    // arrivals of the current minute
    private final SplittableRandom random;
    private int minute = -1;
    private long[] arrivals = new long[0];
    private int nextArrival;

    // events
    private long lastEventAt = -1;
    private int lastEventDirection;

    // the scaler's state
    private ScalerState state = ScalerState.initial();
    private KnativeKpa kpa;
    private long nextTick = NONE;

    FunctionSim(Trace.Function fn, int minutes, Policy policy, long seed, long coldMs, int max, Totals totals) {
        this.fn = fn;
        if (policy instanceof Policy.Merged m) {
            this.policy = m.base();
            this.model = m.model();
            this.merged = model.startsMerged(fn.memoryMb(), fn.durationMs(),
                    fn.perMinute().length == 0 ? 0 : fn.perMinute()[0]);
            this.nextMinute = 60_000L * minutes > 60_000L ? 60_000L : NONE;
        } else {
            this.policy = policy;
            this.model = null;
        }
        this.seed = seed;
        this.coldMs = coldMs;
        this.endMs = minutes * 60_000L;
        this.max = max;
        this.t = totals;
        this.random = new SplittableRandom(seed * 1_000_003L + fn.index());
        boolean metrics = !(this.policy instanceof Policy.FixedOnly);
        int seconds = minutes * 60 + 2;
        this.secSum = metrics ? new double[seconds] : null;
        this.secMax = metrics ? new int[seconds] : null;
        this.cum = metrics ? new double[seconds + 1] : null;
        if (this.policy instanceof Policy.Kpa k) {
            kpa = new KnativeKpa(k.settings());
        }
    }

    void run() {
        long keepAliveMs = policy instanceof Policy.FixedOnly f ? f.keepAlive().keepAlive().toMillis() : NONE;
        while (true) {
            long tA = peekArrival();
            long tB = busy.isEmpty() ? NONE : busy.peekFirst();
            long tP = starting.isEmpty() ? NONE : starting.peekFirst();
            long tW = workerStarting.isEmpty() ? NONE : workerStarting.peekFirst();
            long tS = Math.min(tP, tW);
            long tE = keepAliveMs != NONE && !idle.isEmpty() ? idle.peekFirst() + keepAliveMs : NONE;
            long tT = Math.min(nextTick, nextMinute);
            long now = Math.min(Math.min(tA, tB), Math.min(tS, Math.min(tE, tT)));
            if (now == NONE || now > endMs && busy.isEmpty() && waiting.isEmpty() && startingCount() == 0) {
                break;
            }
            account(now);
            if (now == tB) {
                complete(now);
            } else if (now == tS) {
                ready(now, now == tP);
            } else if (now == tE) {
                idle.pollFirst();
                change(now, -1);
            } else if (now == tA) {
                nextArrival++;
                arrive(now);
            } else if (now == nextMinute) {
                minuteEnded(now);
            } else {
                tick(now, false);
            }
        }
        account(endMs);
    }

    private int startingCount() {
        return starting.size() + workerStarting.size();
    }

    /** Starts one instance where the function is placed now: a pod, or a worker in a running merged pod. */
    private void startOne(long now) {
        if (merged || model != null && model.burstWorker(fn.memoryMb(), instances, steady)) {
            workerStarting.addLast(now + model.workerStartMs());
        } else {
            starting.addLast(now + coldMs);
        }
    }

    /** The placement decision for the minute that ended at {@code now} (the node agent's band). */
    private void minuteEnded(long now) {
        int m = (int) (now / 60_000L) - 1;
        nextMinute = now + 60_000L < endMs ? now + 60_000L : NONE;
        int from = Math.max(0, m - model.windowMinutes() + 1);
        double sum = 0;
        for (int i = from; i <= m; i++) {
            sum += fn.perMinute()[i];
        }
        boolean to = model.move(merged, fn.memoryMb(), fn.durationMs(), sum / (m - from + 1)).orElse(merged);
        if (to == merged) {
            return;
        }
        // the new placement serves before the old is retired: both are held while the new one starts
        double old = merged ? model.workerMb(fn.memoryMb()) : fn.memoryMb();
        double oldFoot = merged ? model.workerMb() : model.podMb();
        long overlap = to ? model.workerStartMs() : coldMs;
        t.moves += instances;
        t.memMbMs += (double) instances * overlap * old;
        t.footMbMs += (double) instances * overlap * oldFoot;
        merged = to;
    }

    // ---- arrivals ----------------------------------------------------------------------------------------

    private long peekArrival() {
        while (nextArrival >= arrivals.length) {
            minute++;
            if (minute >= fn.perMinute().length) {
                return NONE;
            }
            int n = fn.perMinute()[minute];
            if (arrivals.length != n) {
                arrivals = new long[n];
            }
            long base = minute * 60_000L;
            for (int i = 0; i < n; i++) {
                arrivals[i] = base + random.nextLong(60_000);
            }
            Arrays.sort(arrivals);
            nextArrival = 0;
        }
        return arrivals[nextArrival];
    }

    private void arrive(long now) {
        t.invocations++;
        if (busy.isEmpty() && waiting.isEmpty() && called && histogramLearns()) {
            histogram = histogram.record(java.time.Duration.ofMillis(now - idleSince));
        }
        called = true;
        if (!idle.isEmpty()) {
            long since = idle.pollLast();
            boolean burstParked = burstWorkers() && !merged && steady - busy.size() <= 0
                    && model.idleUnloadMs() > 0 && now - since >= model.idleUnloadMs();
            if (parked(since, now) || burstParked) {
                // its worker was terminated: the request waits for one (the instance stays loaded)
                t.unparks++;
                waiting.addLast(now);
                workerStarting.addLast(now + model.workerStartMs());
                return;
            }
            busy.addLast(now + fn.durationMs());
            t.waited(0);
            return;
        }
        if (instances == 0) {
            t.coldFromZero++;
        }
        waiting.addLast(now);
        pendingStops = 0; // demand is back: nothing busy is stopped after its request
        if (policy instanceof Policy.Kpa) {
            if (instances == 0) {
                tick(now, true); // the activator wakes the autoscaler
            }
        } else {
            int need = waiting.size() - startingCount();
            int room = max - instances;
            for (int i = 0; i < Math.min(need, room); i++) {
                startOne(now);
                change(now, +1);
            }
        }
        if (policy instanceof Policy.Ours && (nextTick == NONE || nextTick > now + 1000)) {
            nextTick = (now / 1000 + 1) * 1000;
        }
    }

    private boolean histogramLearns() {
        return policy instanceof Policy.Ours o && o.config().keepAlivePolicy() instanceof dev.nest.scaler.HistogramKeepAlive;
    }

    private void complete(long now) {
        busy.pollFirst();
        if (!waiting.isEmpty()) {
            serve(now, 0);
        } else if (pendingStops > 0) {
            pendingStops--;
            change(now, -1);
        } else {
            idle.addLast(now);
        }
        if (busy.isEmpty() && waiting.isEmpty()) {
            idleSince = now;
        }
    }

    private void ready(long now, boolean pod) {
        (pod ? starting : workerStarting).pollFirst();
        if (!waiting.isEmpty()) {
            serve(now, pod ? 1 : 2);
        } else if (pendingStops > 0) {
            pendingStops--;
            change(now, -1);
        } else {
            idle.addLast(now);
        }
    }

    /** {@code kind}: 0 an instance that became free, 1 a pod that finished starting, 2 a worker that did. */
    private void serve(long now, int kind) {
        long arrived = waiting.pollFirst();
        t.waited(now - arrived);
        switch (kind) {
            case 1 -> t.coldStarts++;
            case 2 -> t.workerStarts++;
            default -> t.queued++;
        }
        busy.addLast(now + fn.durationMs());
    }

    private void change(long now, int delta) {
        instances += delta;
        if (delta > 0) {
            t.starts += delta;
        }
        int dir = Integer.signum(delta);
        if (now != lastEventAt || dir != lastEventDirection) {
            t.scaleEvents++;
            lastEventAt = now;
            lastEventDirection = dir;
        }
    }

    private boolean burstWorkers() {
        return model != null && model.burstWorkers() > 0;
    }

    /** Whether an idle instance, idle since {@code since}, is parked at {@code now} (only in a merged pod). */
    private boolean parked(long since, long now) {
        return merged && model.idleUnloadMs() > 0 && now - since >= model.idleUnloadMs();
    }

    // ---- accounting --------------------------------------------------------------------------------------

    private void account(long now) {
        long to = Math.min(now, endMs);
        if (to <= accountedTo) {
            return;
        }
        long dt = to - accountedTo;
        t.instanceMs += (double) instances * dt;
        t.busyMs += (double) busy.size() * dt;
        double mem;
        double foot;
        double per;
        double perFoot;
        if (!merged && burstWorkers() && steady != Integer.MAX_VALUE && !idle.isEmpty()
                && idle.size() > Math.max(0, steady - busy.size())) {
            // the idle instances beyond the steady need (the longest idle: requests take the most recent) are
            // workers in the merged pod, parked after idle-unload-ms; the others are dedicated pods
            per = fn.memoryMb();
            perFoot = MergedModel.NODEJS.podMb();
            int burst = idle.size() - Math.max(0, steady - busy.size());
            double workerPer = model.workerMb(fn.memoryMb());
            double held = 0;
            double parkedMs = 0;
            for (int i = 0; i < burst; i++) {
                long since = idle.get(i);
                long workerUntil = model.idleUnloadMs() == 0 ? to : Math.min(to, since + model.idleUnloadMs());
                long withWorker = Math.max(0, workerUntil - Math.max(accountedTo, since));
                held += withWorker;
                parkedMs += dt - withWorker;
            }
            double dedicated = (double) (instances - burst) * dt;
            mem = dedicated * per + held * workerPer + parkedMs * model.parkedMb();
            foot = dedicated * perFoot + held * model.workerMb() + parkedMs * model.parkedMb();
            double idleDedicated = (double) (instances - burst - busy.size()) * dt * per;
            if (busy.isEmpty() && waiting.isEmpty()) {
                t.idleDedicatedTailMbMs += idleDedicated;
            } else {
                t.idleDedicatedExtraMbMs += idleDedicated;
            }
            t.idleWorkerMbMs += held * workerPer;
            t.idleParkedMbMs += parkedMs * model.parkedMb();
        } else if (!merged) {
            per = fn.memoryMb();
            perFoot = MergedModel.NODEJS.podMb();
            mem = (double) instances * dt * per;
            foot = (double) instances * dt * perFoot;
            double idleMem = (double) (instances - busy.size()) * dt * per;
            if (busy.isEmpty() && waiting.isEmpty()) {
                t.idleDedicatedTailMbMs += idleMem;
            } else {
                t.idleDedicatedExtraMbMs += idleMem;
            }
        } else {
            per = model.workerMb(fn.memoryMb());
            perFoot = model.workerMb();
            double held = (double) (instances - idle.size()) * dt; // busy and starting: a worker each
            double parkedMs = 0;
            for (int i = 0; i < idle.size(); i++) {
                long since = idle.get(i);
                long workerUntil = model.idleUnloadMs() == 0 ? to : Math.min(to, since + model.idleUnloadMs());
                long withWorker = Math.max(0, workerUntil - Math.max(accountedTo, since));
                held += withWorker;
                parkedMs += dt - withWorker;
            }
            mem = held * per + parkedMs * model.parkedMb();
            foot = held * perFoot + parkedMs * model.parkedMb();
            t.idleWorkerMbMs += (held - (double) busy.size() * dt) * per;
            t.idleParkedMbMs += parkedMs * model.parkedMb();
        }
        t.memMbMs += mem;
        t.busyMemMbMs += (double) busy.size() * dt * per;
        t.footMbMs += foot;
        t.busyFootMbMs += (double) busy.size() * dt * perFoot;
        if (busy.isEmpty() && waiting.isEmpty()) {
            t.tailMemMbMs += mem;
        }
        int level = busy.size() + waiting.size();
        if (secSum != null && level > 0) {
            long from = accountedTo;
            while (from < to) {
                long sec = from / 1000;
                long until = Math.min(to, (sec + 1) * 1000);
                secSum[(int) sec] += (double) level * (until - from);
                if (level > secMax[(int) sec]) {
                    secMax[(int) sec] = level;
                }
                from = until;
            }
        }
        accountedTo = to;
    }

    /** Average concurrency over the whole seconds in {@code [fromMs, nowSec)}; zero before the trace. */
    private double average(long nowSec, long fromMs) {
        int k = (int) Math.min(nowSec, secSum.length - 1);
        while (cumUpTo < k) {
            cum[cumUpTo + 1] = cum[cumUpTo] + secSum[cumUpTo];
            cumUpTo++;
        }
        long w = Math.max(1, nowSec - Math.floorDiv(fromMs, 1000));
        int lo = (int) Math.max(0, nowSec - w);
        return (cum[k] - cum[Math.min(lo, k)]) / (w * 1000.0);
    }

    /** The most requests in flight at once during the whole seconds in {@code [fromMs, nowSec)}. */
    private double peak(long nowSec, long fromMs) {
        int k = (int) Math.min(nowSec, secMax.length - 1);
        int lo = (int) Math.max(0, Math.floorDiv(fromMs, 1000));
        int max = 0;
        for (int i = lo; i < k; i++) {
            max = Math.max(max, secMax[i]);
        }
        return max;
    }

    /**
     * The {@code percentile}-th percentile (nearest rank) of the per-second peaks of requests in flight over the whole
     * seconds in {@code [fromMs, nowSec)}; zero before the trace. A sliding histogram of the levels in the window
     * (windows only move forward in a run; one that moves back is rebuilt), so a query costs the levels, not the
     * window's seconds.
     */
    private double quantile(long nowSec, long fromMs, double percentile) {
        int k = (int) Math.min(nowSec, secMax.length - 1);
        int lo = (int) Math.min(k, Math.max(0, Math.floorDiv(fromMs, 1000)));
        if (lo < qLo || k < qHi) {
            java.util.Arrays.fill(qCounts, 0);
            qLo = lo;
            qHi = lo;
        }
        for (; qHi < k; qHi++) {
            int v = secMax[qHi];
            if (v >= qCounts.length) {
                qCounts = Arrays.copyOf(qCounts, Math.max(v + 1, qCounts.length * 2));
            }
            qCounts[v]++;
        }
        for (; qLo < lo; qLo++) {
            qCounts[secMax[qLo]]--;
        }
        int n = qHi - qLo;
        if (n <= 0) {
            return 0;
        }
        int rank = dev.nest.scaler.MetricSamples.nearestRank(percentile, n);
        int seen = 0;
        for (int level = 0; level < qCounts.length; level++) {
            seen += qCounts[level];
            if (seen >= rank) {
                return level;
            }
        }
        return 0;
    }

    private int[] qCounts = new int[64];
    private int qLo;
    private int qHi;

    // ---- decisions ---------------------------------------------------------------------------------------

    private void tick(long now, boolean poke) {
        if (now > endMs) {
            nextTick = NONE;
            return;
        }
        long sec = now / 1000;
        int desired;
        boolean quiet = busy.isEmpty() && waiting.isEmpty() && now - idleSince > 61_000;
        if (policy instanceof Policy.Ours o) {
            if (burstWorkers()) {
                steady = dev.nest.scaler.BurstRelease.steadyCount(quantile(sec,
                        now - dev.nest.scaler.BurstRelease.DEFAULT_WINDOW.toMillis(), model.burstWorkers()), 1);
            }
            Decision d = o.scaler().decide(new View(sec, now), o.config(), Instant.ofEpochMilli(now), state);
            state = d.state();
            desired = d.desired();
            if (quiet && d.desired() == instances) {
                nextTick = d.wakeAt().map(w -> Math.max(now + 1000, (w.toEpochMilli() + 999) / 1000 * 1000)).orElse(NONE);
            } else {
                nextTick = (sec + 1) * 1000;
            }
        } else {
            KnativeKpa.Settings s = ((Policy.Kpa) policy).settings();
            double stable = average(sec, now - s.stableWindowMs());
            double panic = average(sec, now - s.panicWindowMs());
            if (poke) {
                panic = Math.max(panic, waiting.size()); // the activator reports its queue at once
            }
            desired = kpa.decide(now, stable, panic, instances - startingCount(), instances, waiting.size(), poke);
            if (!poke) {
                nextTick = quiet && instances == 0 && desired == 0 ? NONE : now + s.tickMs();
            } else if (nextTick == NONE) {
                nextTick = (now / s.tickMs() + 1) * s.tickMs();
            }
        }
        apply(now, Math.min(desired, max));
    }

    private void apply(long now, int desired) {
        if (desired > instances) {
            int n = desired - instances;
            for (int i = 0; i < n; i++) {
                startOne(now);
            }
            change(now, n);
            pendingStops = 0;
            // waiters are served by these instances when they are ready (FIFO)
        } else if (desired < instances) {
            int excess = instances - desired;
            int stopped = 0;
            while (excess > 0 && !idle.isEmpty()) {
                idle.pollFirst(); // the instance idle the longest
                excess--;
                stopped++;
            }
            if (stopped > 0) {
                change(now, -stopped);
            }
            pendingStops = excess;
        } else {
            pendingStops = 0;
        }
    }

    /** The scaler's view of this function at a tick. */
    private final class View implements FunctionMetrics {
        private final long sec;
        private final long now;

        View(long sec, long now) {
            this.sec = sec;
            this.now = now;
        }

        @Override
        public OptionalDouble average(MetricType type, Instant from) {
            if (type != MetricType.CONCURRENCY) {
                return OptionalDouble.empty();
            }
            return OptionalDouble.of(FunctionSim.this.average(sec, from.toEpochMilli()));
        }

        @Override
        public OptionalDouble peak(MetricType type, Instant from) {
            if (type != MetricType.CONCURRENCY) {
                return OptionalDouble.empty();
            }
            return OptionalDouble.of(FunctionSim.this.peak(sec, from.toEpochMilli()));
        }

        @Override
        public OptionalDouble quantile(MetricType type, Instant from, double percentile) {
            if (type != MetricType.CONCURRENCY) {
                return OptionalDouble.empty();
            }
            return OptionalDouble.of(FunctionSim.this.quantile(sec, from.toEpochMilli(), percentile));
        }

        @Override
        public int instances() {
            return instances;
        }

        @Override
        public int inFlight() {
            return busy.size() + waiting.size();
        }

        @Override
        public Optional<Instant> idleSince() {
            return inFlight() == 0 ? Optional.of(Instant.ofEpochMilli(idleSince)) : Optional.empty();
        }

        @Override
        public IdleHistogram idleTimes() {
            return histogram;
        }
    }
}
