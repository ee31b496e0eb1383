package dev.nest.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.DegradeSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The circuit breaker's states, driven by outcomes and the times given. */
class BreakerTest {
    private static final long S = 1_000_000_000L;
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");

    private static DegradeSpec spec(int errorRate, long latencyMs, double percentile, int window, int min, int openFor,
                                    int probes) {
        return new DegradeSpec(errorRate > 0 ? OptionalInt.of(errorRate) : OptionalInt.empty(),
                latencyMs > 0 ? Optional.of(Duration.ofMillis(latencyMs)) : Optional.empty(), percentile,
                Duration.ofSeconds(window), min, Duration.ofSeconds(openFor), probes, Optional.empty());
    }

    private static Breaker breaker(DegradeSpec spec) {
        return new Breaker("default/hello", spec, 2 * S, 0, T0, List.of(), 0, 0);
    }

    private static Instant at(long nanos) {
        return T0.plusNanos(nanos);
    }

    @ParameterizedTest(name = "error-rate {0}%, latency {1} ms p{2}: {3} calls, {4} failed, {5} slow -> open {6}")
    @CsvSource({
        "50, 0,   99, 4,  2, 0, true",
        "50, 0,   99, 4,  1, 0, false",
        "50, 0,   99, 3,  3, 0, false",   // fewer than min-requests (4)
        "100,0,   99, 4,  4, 0, true",
        "1,  0,   99, 4,  1, 0, true",
        "0,  100, 99, 4,  0, 1, true",    // p99 of 4 calls is the slowest
        "0,  100, 90, 10, 0, 1, false",   // 10% slow: p90 is still fast
        "0,  100, 90, 10, 0, 2, true",
        "0,  100, 50, 10, 0, 5, false",
        "0,  100, 50, 10, 0, 6, true",
        "50, 100, 50, 10, 5, 0, true",
        "50, 100, 90, 10, 4, 1, false"})
    void opensOnItsThresholdsOnceTheWindowHoldsEnoughCalls(int errorRate, long latencyMs, double percentile, int calls,
                                                          int failed, int slow, boolean opens) {
        int min = Math.max(4, calls == 3 ? 4 : calls);
        Breaker b = breaker(spec(errorRate, latencyMs, percentile, 10, min, 5, 1));
        for (int i = 0; i < calls; i++) {
            boolean isSlow = i >= failed && i < failed + slow;
            b.record(i < failed, isSlow ? latencyMs + 1 : 1, i, at(i));
        }
        assertEquals(opens ? BreakerState.OPEN : BreakerState.CLOSED, b.state());
    }

    @Test
    void opensServesTheFallbackProbesAndCloses() {
        Breaker b = breaker(spec(50, 0, 99, 10, 4, 5, 2));
        assertEquals(0, b.tryPass(0, at(0)));
        b.record(false, 5, 0, at(0));
        b.record(true, 5, S / 10, at(S / 10));
        b.record(false, 5, S / 5, at(S / 5));
        assertEquals(BreakerState.CLOSED, b.state());
        b.record(true, 5, S, at(S));
        assertEquals(BreakerState.OPEN, b.state());
        assertEquals(5 * S, b.tryPass(S, at(S)), "the rest of the open time");
        assertEquals(3 * S, b.tryPass(3 * S, at(3 * S)));
        b.record(true, 5, 3 * S, at(3 * S)); // a call let through before it opened: ignored
        assertEquals(0, b.tryPass(6 * S, at(6 * S)), "open-for is over: a probe");
        assertEquals(BreakerState.HALF_OPEN, b.state());
        assertEquals(0, b.tryPass(6 * S, at(6 * S)), "a second probe");
        assertEquals(S, b.tryPass(6 * S, at(6 * S)), "no third one");
        b.record(false, 5, 7 * S, at(7 * S));
        assertEquals(BreakerState.HALF_OPEN, b.state());
        b.record(false, 5, 7 * S, at(7 * S));
        assertEquals(BreakerState.CLOSED, b.state());
        assertEquals(3, b.fallbacks());
        assertEquals(1, b.opened());
        List<Transition> h = b.history();
        assertEquals(List.of(BreakerState.CLOSED, BreakerState.HALF_OPEN, BreakerState.OPEN),
                h.stream().map(Transition::to).toList(), "newest first");
        assertEquals(at(7 * S), h.get(0).at());
        assertEquals(at(6 * S), h.get(1).at());
        assertEquals(at(S), h.get(2).at());
        assertTrue(h.get(2).reason().contains("2 of 4 calls failed"), h.get(2).reason());
        assertEquals(0, b.status(7 * S).calls(), "a closed breaker starts with an empty window");
    }

    @Test
    void aFailedOrSlowProbeOpensItAgain() {
        Breaker b = breaker(spec(50, 100, 99, 10, 1, 5, 3));
        b.record(true, 5, 0, at(0));
        assertEquals(BreakerState.OPEN, b.state());
        assertEquals(0, b.tryPass(5 * S, at(5 * S)));
        b.record(false, 150, 5 * S, at(5 * S));
        assertEquals(BreakerState.OPEN, b.state());
        assertTrue(b.history().getFirst().reason().contains("took 150 ms"), b.history().getFirst().reason());
        assertEquals(5 * S, b.tryPass(5 * S, at(5 * S)), "a whole open time again");
        assertEquals(2, b.opened());
    }

    @Test
    void callsThatLeftTheWindowNoLongerCount() {
        Breaker b = breaker(spec(50, 0, 99, 10, 2, 5, 1));
        b.record(true, 5, 0, at(0));
        b.record(false, 5, 11 * S, at(11 * S));
        assertEquals(BreakerState.CLOSED, b.state(), "the failure at 0 s is out of the 10 s window at 11 s");
        b.record(false, 5, 12 * S, at(12 * S));
        assertEquals(2, b.status(12 * S).calls());
        assertEquals(0, b.status(12 * S).failures());
        assertEquals(0, b.status(30 * S).calls(), "the window empties with time");
        b.record(true, 5, 30 * S, at(30 * S));
        b.record(true, 5, 39 * S, at(39 * S));
        assertEquals(BreakerState.OPEN, b.state(), "both failures are within 10 s");
    }

    @Test
    void aProbeWhoseOutcomeNeverCameFreesItsPlace() {
        Breaker b = breaker(spec(50, 0, 99, 10, 1, 1, 1));
        b.record(true, 5, 0, at(0));
        assertEquals(0, b.tryPass(S, at(S)));
        assertEquals(S, b.tryPass(2 * S, at(2 * S)), "the probe is out");
        assertEquals(0, b.tryPass(3 * S + 1, at(3 * S + 1)), "after the probe timeout (2 s) another may go");
    }

    @Test
    void keepsABoundedHistory() {
        Breaker b = breaker(spec(50, 0, 99, 10, 1, 1, 1));
        long t = 0;
        for (int i = 0; i < Breaker.HISTORY; i++) {
            b.record(true, 5, t, at(t));
            t += S;
            b.tryPass(t, at(t));
        }
        assertEquals(Breaker.HISTORY, b.history().size());
        assertEquals(Breaker.HISTORY, b.opened());
    }
}
