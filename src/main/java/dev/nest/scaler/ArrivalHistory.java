package dev.nest.scaler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Optional;

/**
 * One function's recent readings of its served counter and of its requests executing and waiting, from which the
 * live scaler estimates the {@link OfferedLoad}: the arrival rate over the last {@link #ARRIVAL_WINDOW} (requests
 * served plus the growth of those in flight and waiting: every request that arrived is one or the other) times the
 * mean execution time over the history kept (Little's law on the instances alone: the time-average of the requests
 * executing over the requests served in the same time, so the time a request waits for an instance is not in it),
 * or the requests executing now over the rate served in the window when that is shorter and the window served
 * enough requests to tell.
 *
 * <p>Bounds, because a client chooses the arrivals: no estimate from fewer than {@link #MIN_ARRIVALS} arrivals in
 * the window or fewer than {@link #MIN_SERVED} requests served in the history (a rate of a handful of requests is
 * noise, and an idle function's rare request is not a rate); the execution time counts at most {@link #HORIZON}, so
 * the estimate is never more than the requests the current rate brings in that time, which the requests in flight
 * would show by then anyway (requests that hang until a timeout cannot make it ask for their rate times the timeout);
 * a flood of requests that fail in a millisecond has a millisecond's execution time and offers almost nothing. The
 * scaler caps what it asks for at {@code max} and the namespace quota as for any other reading.
 */
final class ArrivalHistory {
    /** The window the arrival rate is counted over. */
    static final Duration ARRIVAL_WINDOW = Duration.ofSeconds(1);
    /** The fewest arrivals in the window that make a rate (a Poisson count of 10 is +/-32%). */
    static final int MIN_ARRIVALS = 10;
    /** The fewest requests served in the history that make a mean execution time. */
    static final int MIN_SERVED = 10;
    /** The most execution time the estimate counts (the default up window). */
    static final Duration HORIZON = ScalingConfig.DEFAULT_UP_WINDOW;

    private record Reading(Instant at, long served, int executing, int present) {
    }

    private final ArrayDeque<Reading> readings = new ArrayDeque<>();

    /**
     * Records a reading taken at {@code at}: {@code served} requests finished so far (monotonic), {@code executing}
     * on instances now, {@code present} in flight or waiting now; readings older than {@code keep} go. A served
     * counter that went back (a new version, a reset) starts the history afresh.
     */
    void observe(Instant at, long served, int executing, int present, Duration keep) {
        Reading last = readings.peekLast();
        if (last != null && (served < last.served() || at.isBefore(last.at()))) {
            readings.clear();
        }
        readings.addLast(new Reading(at, served, Math.max(0, executing), Math.max(0, present)));
        Instant oldest = at.minus(keep);
        for (Iterator<Reading> it = readings.iterator(); it.hasNext() && it.next().at().isBefore(oldest); ) {
            it.remove();
        }
    }

    /** Forgets every reading (a new version of the function). */
    void clear() {
        readings.clear();
    }

    /** The offered load at the last reading; empty while the readings are too few or too short to tell. */
    Optional<OfferedLoad> estimate() {
        Reading now = readings.peekLast();
        if (now == null || readings.size() < 2) {
            return Optional.empty();
        }
        // the arrival rate: from the latest reading at least the window before the last (or the oldest)
        Instant windowStart = now.at().minus(ARRIVAL_WINDOW);
        Reading from = readings.peekFirst();
        double executing = 0; // request-seconds on instances over the history (trapezoids between readings)
        Reading prev = null;
        for (Reading r : readings) {
            if (prev != null) {
                executing += (prev.executing() + r.executing()) / 2.0 * Duration.between(prev.at(), r.at()).toNanos() / 1e9;
            }
            if (!r.at().isAfter(windowStart)) {
                from = r;
            }
            prev = r;
        }
        double span = Duration.between(from.at(), now.at()).toNanos() / 1e9;
        long arrivals = now.served() - from.served() + now.present() - from.present();
        long served = now.served() - readings.peekFirst().served();
        if (span < ARRIVAL_WINDOW.toNanos() / 1e9 || arrivals < MIN_ARRIVALS || served < MIN_SERVED) {
            return Optional.empty();
        }
        double execution = executing / served;
        long servedRecently = now.served() - from.served();
        if (servedRecently >= MIN_SERVED) {
            // and the window's own, when it is shorter: new requests that finish sooner than the history's (a flood
            // that fails in a millisecond after a minute of 100 ms requests) show it within the window, while the
            // history's mean would price the flood's rate at the old time for a minute
            // (the requests executing now over the window's rate served: a trapezoid over the window would take
            // the quiet reading before a step for half, and price the step's first second at half its time)
            execution = Math.min(execution, now.executing() * span / servedRecently);
        }
        return Optional.of(new OfferedLoad(arrivals / span, Math.min(HORIZON.toNanos() / 1e9, execution)));
    }
}
