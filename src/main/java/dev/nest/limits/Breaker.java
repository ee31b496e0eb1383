package dev.nest.limits;

import dev.nest.common.Durations;
import dev.nest.function.DegradeSpec;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One function's circuit breaker: a state machine over a sliding window of one-second buckets (calls, failures,
 * slow calls), driven by the times its caller gives (monotonic nanoseconds for the window and timers, a wall
 * instant for the history), so that it is a pure function of the calls and outcomes it saw.
 *
 * <ul>
 *   <li>{@code CLOSED}: every call passes; after each outcome, when the window holds at least {@code min-requests}
 *       calls and the failed share reached {@code error-rate}, or more than {@code 100 - percentile} percent were
 *       slower than {@code latency} (that is: the window's percentile latency is above it), it opens.</li>
 *   <li>{@code OPEN}: no call passes ({@link #tryPass} says how long until one may) until {@code open-for} has
 *       passed; the next call then finds it half-open.</li>
 *   <li>{@code HALF_OPEN}: up to {@code half-open-probes} calls pass; the first probe that fails or is slow opens it
 *       again, and when that many probes succeeded it closes with an empty window. A probe whose outcome never comes
 *       (its caller went to a peer, the node lost it) frees its place after {@code probeTimeout}.</li>
 * </ul>
 * Outcomes that arrive while it is open (calls let through before it opened) are ignored.
 *
 * <p>Threads: every method is synchronized; each holds the lock for a few array updates (advancing the window
 * touches at most one bucket per second that passed, up to the window's length). Keeps the last {@value #HISTORY}
 * transitions.
 */
final class Breaker {
    static final int HISTORY = 50;
    private static final long SECOND = 1_000_000_000L;

    final DegradeSpec spec;
    private final String function;
    private final long probeTimeoutNanos;
    private final int seconds;
    private final long[] calls;
    private final long[] failures;
    private final long[] slow;
    private long lastSecond = Long.MIN_VALUE;
    private long totalCalls;
    private long totalFailures;
    private long totalSlow;
    private BreakerState state = BreakerState.CLOSED;
    private long stateSinceNanos;
    private Instant since;
    private int probesIssued;
    private int probesAnswered;
    private int probeSuccesses;
    private long lastProbeNanos;
    private long fallbacks;
    private long opened;
    private final ArrayDeque<Transition> history = new ArrayDeque<>();

    /**
     * @param probeTimeoutNanos how long a probe's outcome may take before its place is given to another call
     * @param earlier           the history of the breaker this one replaces (its spec changed), newest first
     */
    Breaker(String function, DegradeSpec spec, long probeTimeoutNanos, long now, Instant wall, List<Transition> earlier,
            long fallbacks, long opened) {
        this.function = function;
        this.spec = spec;
        this.probeTimeoutNanos = probeTimeoutNanos;
        this.seconds = (int) Math.max(1, spec.window().toSeconds());
        this.calls = new long[seconds];
        this.failures = new long[seconds];
        this.slow = new long[seconds];
        this.stateSinceNanos = now;
        this.since = wall;
        this.fallbacks = fallbacks;
        this.opened = opened;
        for (Transition t : earlier) {
            if (history.size() < HISTORY) {
                history.addLast(t);
            }
        }
    }

    /**
     * Whether a call may go to the function at {@code now}: 0 when it may (closed, or a probe while half-open);
     * otherwise the nanoseconds until the breaker may let one through (the rest of the open time; 1 s while the
     * probes are out), and the call counts as served by the fallback.
     */
    synchronized long tryPass(long now, Instant wall) {
        if (state == BreakerState.OPEN) {
            long left = spec.openFor().toNanos() - (now - stateSinceNanos);
            if (left > 0) {
                fallbacks++;
                return left;
            }
            move(BreakerState.HALF_OPEN, now, wall, "open for " + Durations.format(spec.openFor()) + ": letting "
                    + spec.probes() + " probe call" + (spec.probes() == 1 ? "" : "s") + " through");
            probesIssued = 0;
            probesAnswered = 0;
            probeSuccesses = 0;
        }
        if (state == BreakerState.HALF_OPEN) {
            if (probesIssued >= spec.probes() && now - lastProbeNanos > probeTimeoutNanos) {
                probesIssued = probesAnswered; // the outstanding probes' outcomes were lost
            }
            if (probesIssued < spec.probes()) {
                probesIssued++;
                lastProbeNanos = now;
                return 0;
            }
            fallbacks++;
            return SECOND;
        }
        return 0;
    }

    /**
     * Counts the outcome of a call that reached the function.
     *
     * @param failed whether it failed (a 5xx from the function, a timeout, a failed instance)
     * @param millis how long the caller waited for it
     */
    synchronized void record(boolean failed, double millis, long now, Instant wall) {
        boolean isSlow = spec.latency().isPresent() && millis > spec.latency().get().toNanos() / 1e6;
        switch (state) {
            case OPEN -> {
                // let through before it opened: the decision is made
            }
            case HALF_OPEN -> {
                probesAnswered++;
                if (failed || isSlow) {
                    open(now, wall, "a probe call " + (failed ? "failed" : "took " + Math.round(millis) + " ms, more "
                            + "than " + Durations.format(spec.latency().get())));
                } else if (++probeSuccesses >= spec.probes()) {
                    move(BreakerState.CLOSED, now, wall, probeSuccesses + " probe call" + (probeSuccesses == 1 ? "" : "s")
                            + " succeeded");
                    clearWindow();
                }
            }
            case CLOSED -> {
                advance(now);
                int slot = (int) Math.floorMod(lastSecond, (long) seconds);
                calls[slot]++;
                totalCalls++;
                if (failed) {
                    failures[slot]++;
                    totalFailures++;
                }
                if (isSlow) {
                    slow[slot]++;
                    totalSlow++;
                }
                trip(now, wall);
            }
        }
    }

    private void trip(long now, Instant wall) {
        if (totalCalls < spec.minRequests()) {
            return;
        }
        String window = " in the last " + Durations.format(spec.window());
        if (spec.errorRate().isPresent() && totalFailures * 100 >= (long) spec.errorRate().getAsInt() * totalCalls) {
            open(now, wall, totalFailures + " of " + totalCalls + " calls failed" + window + " (" + percent(totalFailures)
                    + "%, threshold " + spec.errorRate().getAsInt() + "%)");
        } else if (spec.latency().isPresent() && totalSlow * 100.0 > (100 - spec.percentile()) * totalCalls) {
            open(now, wall, totalSlow + " of " + totalCalls + " calls took longer than "
                    + Durations.format(spec.latency().get()) + window + ": their p" + number(spec.percentile())
                    + " latency is above it");
        }
    }

    private long percent(long n) {
        return Math.round(n * 100.0 / Math.max(1, totalCalls));
    }

    private static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private void open(long now, Instant wall, String reason) {
        opened++;
        move(BreakerState.OPEN, now, wall, reason);
        clearWindow();
    }

    private void move(BreakerState to, long now, Instant wall, String reason) {
        history.addFirst(new Transition(wall, state, to, reason));
        while (history.size() > HISTORY) {
            history.removeLast();
        }
        state = to;
        stateSinceNanos = now;
        since = wall;
    }

    /** Empties the buckets of the seconds that left the window since the last outcome. */
    private void advance(long now) {
        long second = Math.floorDiv(now, SECOND);
        if (lastSecond == Long.MIN_VALUE || second - lastSecond >= seconds) {
            clearWindow();
        } else {
            for (long s = lastSecond + 1; s <= second; s++) {
                int slot = (int) Math.floorMod(s, (long) seconds);
                totalCalls -= calls[slot];
                totalFailures -= failures[slot];
                totalSlow -= slow[slot];
                calls[slot] = 0;
                failures[slot] = 0;
                slow[slot] = 0;
            }
        }
        lastSecond = Math.max(lastSecond, second);
    }

    private void clearWindow() {
        java.util.Arrays.fill(calls, 0);
        java.util.Arrays.fill(failures, 0);
        java.util.Arrays.fill(slow, 0);
        totalCalls = 0;
        totalFailures = 0;
        totalSlow = 0;
    }

    synchronized BreakerState state() {
        return state;
    }

    /** The history, newest first. */
    synchronized List<Transition> history() {
        return new ArrayList<>(history);
    }

    synchronized long fallbacks() {
        return fallbacks;
    }

    synchronized long opened() {
        return opened;
    }

    /** What the API shows; the window is read as of {@code now}. */
    synchronized DegradeStatus status(long now) {
        if (state == BreakerState.CLOSED) {
            advance(now);
        }
        boolean probing = state == BreakerState.HALF_OPEN;
        long c = probing ? probesAnswered : state == BreakerState.CLOSED ? totalCalls : 0;
        long f = probing ? probesAnswered - probeSuccesses : state == BreakerState.CLOSED ? totalFailures : 0;
        long s = state == BreakerState.CLOSED ? totalSlow : 0;
        List<Transition> h = new ArrayList<>(history.size());
        for (Iterator<Transition> it = history.iterator(); it.hasNext(); ) {
            h.add(it.next());
        }
        return new DegradeStatus(function, state, since, c, f, s, fallbacks, opened, h);
    }
}
