package dev.nest.scaler;

import java.time.Instant;

/**
 * Decides how many instances a function should have. A pure function of its arguments: no I/O, no clock of
 * its own, no hidden state (what it remembers travels in {@link ScalerState}), so the leader can call it every
 * second per function, tests call it with tables and the trace simulator replays a day in seconds.
 *
 * <p>The rules ({@link #windowed()}):
 * <ul>
 *   <li>Per declared metric, needed = value / (target x utilization) over a window; the count is the largest
 *       over the metrics, rounded up. For concurrency, target x utilization is at least one request (an instance
 *       that takes one request at a time is either idle or full, so {@code target: 1} scales on the requests
 *       in flight; the replay of the Azure trace showed 1/0.7 instances per request as pure idle memory), and the
 *       stable window's need is also at least its peak (the most requests in flight at once, at full target), so
 *       instances that were all busy together recently are kept through the scale-down delay.</li>
 *   <li>Up at once: when the short window ({@code upWindow}, 6 s) shows the instances carrying more than their
 *       full target (the utilization headroom is used up), to the count that carries it at full target (or
 *       the stable window's need if higher); and whenever the stable window ({@code stableWindow}, 60 s) needs
 *       more than 10% above the current count, which brings the utilization headroom. When such a scale-up at once
 *       reads a step of the concurrency (the requests in flight now, or the short window's average, at least 3 times
 *       the stable window's average) on a function that has instances, it sizes for the arrival noise of the new
 *       load at once (square-root staffing): R + 2 x sqrt(R) requests for R seen, so the count asked for in the
 *       step's first second covers the random peaks of the next ones instead of following each as it comes; a
 *       peak of a steady load gets no such headroom (the burst release would take it back and the next peak ask
 *       for it again), nor do requests waiting on a function with no instance. Where the metrics have an
 *       {@link FunctionMetrics#offered() offered load} (the arrival rate times the execution time, Little's law),
 *       R is the larger of it and the requests in flight: a step of it that fills the instances (R at least 3
 *       times the stable window's average and at least the current count) asks for R + 2 x sqrt(R) at the first
 *       decision, also when the instances are ones the node started for waiting requests and the count adopted.</li>
 *   <li>Down only when the stable window has asked for fewer instances continuously for
 *       {@code scale-down-delay}, to the highest count asked for meanwhile (the next scale-up needs a rise of more
 *       than 10% over the stable window, so a noisy steady load does not flap), and by at most
 *       {@code max-scale-down-step} per decision. An increase of the instance count (a request that found no
 *       free instance made the node agent start one) restarts the delay. With a {@link BurstRelease}
 *       ({@link #windowed(BurstRelease)}, {@code cluster.burst-release}), the instances above the function's steady
 *       need go once the lower count has held for its shorter time.</li>
 *   <li>A metric without samples in the stable window (CPU or memory that the driver does not report) counts
 *       as no need; when none of the declared metrics has a sample and the function is not idle, the count holds
 *       (no scale-up to max, no scale-down to zero on a missing number; waiting requests still start
 *       instances).</li>
 *   <li>Never below {@code min} or an active {@code schedule} rule's min, never above {@code max}.</li>
 *   <li>The last instance of an idle function (nothing in flight) follows the keep-alive policy: kept,
 *       unloaded, pre-warmed, never longer than {@code scale-to-zero-after}; a function with requests waiting
 *       and no instance gets one at once.</li>
 * </ul>
 * {@link Decision#wakeAt()} names pending changes (scale-down delay, pre-warm, keep-alive end) but not the
 * opening of a schedule window: a caller that sleeps between decisions must also wake when a rule opens.
 * Thread-safe: implementations hold no mutable state.
 */
public interface Scaler {
    /**
     * @param metrics  the function's recent metrics
     * @param config   its scaling config
     * @param now      the decision's clock
     * @param previous the previous decision's state, or {@link ScalerState#initial()}
     */
    Decision decide(FunctionMetrics metrics, ScalingConfig config, Instant now, ScalerState previous);

    /** The standard scaler described above. */
    static Scaler windowed() {
        return WindowedScaler.INSTANCE;
    }

    /**
     * The standard scaler with {@code burst}: instances above the function's steady need are released after
     * {@link BurstRelease#after} instead of {@code scale-down-delay} ({@link BurstRelease#OFF}: the standard scaler).
     */
    static Scaler windowed(BurstRelease burst) {
        return burst.enabled() ? new WindowedScaler(true, WindowedScaler.TOLERANCE_DOWN, true, burst) : windowed();
    }

    /**
     * The same scaler without its {@link BurstRelease} (itself when it has none): what a function the release does not
     * apply to is scaled with ({@link BurstRelease#appliesTo}).
     */
    default Scaler withoutBurstRelease() {
        return this;
    }

    /**
     * How much history of per-second samples the scaler reads beyond the stable window (the burst release's
     * steady-need window); {@link Duration#ZERO}: the stable window is enough.
     */
    default java.time.Duration history() {
        return java.time.Duration.ZERO;
    }

    /**
     * The same rules, but the stable window's need is the average alone (the peak concurrency does not hold
     * instances through the scale-down delay); kept for comparison in the trace simulator.
     */
    static Scaler averageOnly() {
        return WindowedScaler.AVERAGE_ONLY;
    }

    /**
     * The standard rules with their design choices open, for comparison in the trace simulator.
     *
     * @param downHeadroom  headroom above the need a scale-down keeps (0.1 keeps 10%; the standard is 0)
     * @param wholeRequests whether a concurrency target times utilization is at least one request (the standard):
     *                      without it, {@code target: 1} at {@code utilization: 0.7} keeps 1/0.7 instances per
     *                      request in flight
     */
    static Scaler variant(double downHeadroom, boolean wholeRequests) {
        return variant(downHeadroom, wholeRequests, WindowedScaler.ARRIVAL_HEADROOM);
    }

    /**
     * {@link #variant(double, boolean)} with the arrival headroom of a scale-up at once open as well.
     *
     * @param arrivalHeadroom beta of the square-root headroom, 0..10 (0: a scale-up at once sizes for the requests it
     *                        sees, no more; the standard is 2)
     */
    static Scaler variant(double downHeadroom, boolean wholeRequests, double arrivalHeadroom) {
        if (!(downHeadroom >= 0 && downHeadroom <= 1)) {
            throw new IllegalArgumentException("down headroom " + downHeadroom + " is outside 0..1");
        }
        return new WindowedScaler(true, downHeadroom, wholeRequests, BurstRelease.OFF, arrivalHeadroom);
    }
}
