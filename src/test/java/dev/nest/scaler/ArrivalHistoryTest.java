package dev.nest.scaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The offered-load estimate from readings one second apart (or closer), on a fake time line. */
class ArrivalHistoryTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final Duration KEEP = Duration.ofSeconds(60);

    private final ArrivalHistory h = new ArrivalHistory();
    private long served;
    private Instant at = T0;

    /** {@code seconds} readings one second apart: {@code rate} served a second, {@code executing} on instances. */
    private void steady(int seconds, long rate, int executing, int waiting) {
        for (int i = 0; i < seconds; i++) {
            at = at.plusSeconds(1);
            served += rate;
            h.observe(at, served, executing, executing + waiting, KEEP);
        }
    }

    @Test
    void aSteadyLoadIsItsRateTimesItsExecutionTime() {
        steady(30, 50, 5, 0); // 50/s of 100 ms: 5 executing
        OfferedLoad o = h.estimate().orElseThrow();
        assertEquals(50, o.arrivalsPerSecond(), 1e-9);
        assertEquals(0.1, o.executionSeconds(), 1e-9);
        assertEquals(5, o.requests(), 1e-9);
    }

    @Test
    void aStepShowsInTheRateWithinTheWindowWhileTheRequestsWait() {
        steady(60, 5, 1, 0); // 5/s of 200 ms
        // the step: 50/s arrive, the 2 instances serve 10/s, the rest waits (39 more than the 1 before)
        at = at.plusSeconds(1);
        served += 10;
        h.observe(at, served, 2, 2 + 39, KEEP);
        OfferedLoad o = h.estimate().orElseThrow();
        assertEquals(50, o.arrivalsPerSecond(), 1e-9); // 10 served + 40 more waiting
        // the execution time does not count the wait: 2 executing at 10 served a second in the window (the
        // history's 60.5 request-seconds for 305 served, 0.198 s, is longer)
        assertEquals(60.5 / 305, o.executionSeconds(), 1e-9);
        assertEquals(50 * 60.5 / 305, o.requests(), 1e-9);
    }

    @Test
    void aWakeRoundBetweenSecondsCountsOverTheLastFullWindow() {
        steady(10, 20, 2, 0);
        at = at.plusMillis(300); // a wake round 0.3 s after the last
        served += 6;
        h.observe(at, served, 2, 2, KEEP);
        // from the reading 1.3 s before: 26 arrived
        assertEquals(20, h.estimate().orElseThrow().arrivalsPerSecond(), 1e-9);
    }

    @Test
    void aFloodOfRequestsThatFailInAMillisecondOffersAlmostNothing() {
        // a minute of 10/s of 100 ms, then 1,000 requests/s that fail in 1 ms on the one instance (1 executing)
        steady(60, 10, 1, 0);
        steady(1, 1_000, 1, 0);
        OfferedLoad o = h.estimate().orElseThrow();
        assertEquals(1_000, o.arrivalsPerSecond(), 1e-9);
        // the history's mean (61 request-seconds over 1,600 served: 38 ms) would offer 38 at once; the window's
        // own says what the flood's requests take
        assertEquals(0.001, o.executionSeconds(), 1e-9);
        assertEquals(1, o.requests(), 1e-6);
    }

    @Test
    void requestsThatHangUntilATimeoutCountAtMostTheHorizon() {
        // 100/s that each run 30 s until a timeout: 3,000 executing; the estimate counts 6 s of them, not 30
        steady(60, 100, 3_000, 0);
        OfferedLoad o = h.estimate().orElseThrow();
        assertEquals(ArrivalHistory.HORIZON.toSeconds(), o.executionSeconds(), 1e-9);
        assertEquals(100 * ArrivalHistory.HORIZON.toSeconds(), o.requests(), 1e-6);
    }

    @Test
    void tooFewArrivalsOrTooShortAHistoryIsNoEstimate() {
        assertEquals(Optional.empty(), h.estimate());
        steady(1, 50, 5, 0);
        assertEquals(Optional.empty(), h.estimate()); // one reading: no span
        steady(30, ArrivalHistory.MIN_ARRIVALS - 1, 1, 0);
        assertEquals(Optional.empty(), h.estimate()); // 9 a second is not a rate
        steady(1, ArrivalHistory.MIN_ARRIVALS, 1, 0);
        assertTrue(h.estimate().isPresent());
    }

    @Test
    void aServedCounterThatGoesBackStartsAfresh() {
        steady(30, 50, 5, 0);
        served = 3;
        steady(1, 0, 5, 0);
        assertEquals(Optional.empty(), h.estimate());
        steady(2, 50, 5, 0);
        assertEquals(5, h.estimate().orElseThrow().requests(), 1e-9);
    }

    @Test
    void oldReadingsLeaveTheHistory() {
        steady(60, 50, 25, 0); // 500 ms each
        steady(61, 50, 5, 0); // then 100 ms each: the first minute has left the 60 s history
        assertEquals(0.1, h.estimate().orElseThrow().executionSeconds(), 1e-9);
    }

    @Test
    void anOfferedLoadIsAFiniteRateAndTime() {
        assertThrows(IllegalArgumentException.class, () -> new OfferedLoad(Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new OfferedLoad(1, Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> new OfferedLoad(-1, 1));
    }
}
