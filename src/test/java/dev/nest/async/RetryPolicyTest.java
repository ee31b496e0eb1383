package dev.nest.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.async.RetryPolicy.GiveUp;
import dev.nest.async.RetryPolicy.Kind;
import dev.nest.async.RetryPolicy.Retry;
import dev.nest.async.RetryPolicy.Succeed;
import dev.nest.function.AsyncSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryPolicyTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final AsyncSpec SPEC = new AsyncSpec(2, Duration.ofMinutes(10), 0, Optional.empty(), Optional.empty());

    private static Event event(int attempt, int rejections) {
        return new Event(new NewEvent("e", "default/f", "POST", "/", "", List.of(), new byte[0], Optional.empty(), T0),
                attempt, rejections, T0.plusSeconds(60));
    }

    @ParameterizedTest
    @CsvSource({"200,SUCCESS", "204,SUCCESS", "302,SUCCESS", "400,PERMANENT", "404,PERMANENT", "413,PERMANENT",
            "408,RETRYABLE", "429,RETRYABLE", "500,RETRYABLE", "502,RETRYABLE", "503,RETRYABLE", "504,RETRYABLE"})
    void statusKinds(int status, Kind kind) {
        assertEquals(kind, RetryPolicy.kind(status));
    }

    @ParameterizedTest
    @CsvSource({"1,0.0,0", "1,0.999999,1000", "2,0.999999,2000", "3,0.5,2000", "9,0.999999,256000",
            "10,0.999999,300000", "11,0.999999,300000", "40,0.999999,300000", "10,0.0,0"})
    void backoffIsFullJitterUnderTheExponentialCeiling(int n, double random, long expectedMillis) {
        assertEquals(Duration.ofMillis(expectedMillis), RetryPolicy.backoff(n, random));
    }

    @Test
    void backoffStaysWithinItsBounds() {
        for (int n = 1; n <= 20; n++) {
            long ceiling = Math.min(300_000, 1000L << (n - 1));
            for (double r = 0; r < 1; r += 0.01) {
                long d = RetryPolicy.backoff(n, r).toMillis();
                assertTrue(d >= 0 && d <= ceiling, "retry " + n + " waits " + d + " ms, more than " + ceiling);
            }
        }
    }

    @Test
    void successCountsTheAttempt() {
        Succeed s = assertInstanceOf(Succeed.class, RetryPolicy.decide(SPEC, event(0, 0),
                new Outcome.Answered(200, 5, "ok".getBytes()), T0, () -> 0.5));
        assertEquals(1, s.attempt());
        assertEquals(200, s.result().status());
    }

    @Test
    void failuresAreRetriedThenGiveUpWhenRetriesAreUsedUp() {
        Outcome boom = new Outcome.Answered(500, 5, "boom".getBytes());
        Retry r1 = assertInstanceOf(Retry.class, RetryPolicy.decide(SPEC, event(0, 0), boom, T0, () -> 0.999));
        assertEquals(1, r1.attempt());
        assertTrue(!r1.at().isAfter(T0.plusSeconds(1)));
        Retry r2 = assertInstanceOf(Retry.class, RetryPolicy.decide(SPEC, event(1, 0), boom, T0, () -> 0.999));
        assertEquals(2, r2.attempt());
        GiveUp g = assertInstanceOf(GiveUp.class, RetryPolicy.decide(SPEC, event(2, 0), boom, T0, () -> 0.999));
        assertEquals(3, g.attempt());
        assertTrue(g.last().error().contains("retries used up"), g.last().error());
        assertInstanceOf(GiveUp.class, RetryPolicy.decide(SPEC, event(2, 0),
                new Outcome.Unreachable(30_000, "timed out"), T0, () -> 0.1));
    }

    @Test
    void zeroRetriesGivesUpAtOnce() {
        AsyncSpec none = new AsyncSpec(0, Duration.ofMinutes(10), 0, Optional.empty(), Optional.empty());
        assertInstanceOf(GiveUp.class, RetryPolicy.decide(none, event(0, 0),
                new Outcome.Answered(503, 1, new byte[0]), T0, () -> 0.1));
    }

    @Test
    void clientErrorsAreNotRetried() {
        GiveUp g = assertInstanceOf(GiveUp.class, RetryPolicy.decide(SPEC, event(0, 0),
                new Outcome.Answered(400, 1, "bad input".getBytes()), T0, () -> 0.1));
        assertEquals(1, g.attempt());
        assertTrue(g.last().error().contains("bad input"));
    }

    @Test
    void admissionRefusalIsRetriedWithoutAnAttemptUntilMaxAge() {
        Outcome refused = new Outcome.Refused(429, "too many requests");
        Retry r = assertInstanceOf(Retry.class, RetryPolicy.decide(SPEC, event(1, 4), refused, T0, () -> 0.999));
        assertEquals(1, r.attempt(), "no attempt used");
        assertEquals(5, r.rejections());
        Event late = event(1, 20);
        Instant nearEnd = T0.plus(Duration.ofMinutes(10)).minusSeconds(10);
        assertInstanceOf(GiveUp.class, RetryPolicy.decide(SPEC, late, refused, nearEnd, () -> 0.999));
        assertInstanceOf(Retry.class, RetryPolicy.decide(SPEC, late, refused, nearEnd, () -> 0.0));
    }

    @Test
    void retryPastMaxAgeGivesUp() {
        Instant nearEnd = T0.plus(Duration.ofMinutes(10)).minusMillis(500);
        GiveUp g = assertInstanceOf(GiveUp.class, RetryPolicy.decide(SPEC, event(0, 0),
                new Outcome.Answered(500, 1, new byte[0]), nearEnd, () -> 0.999));
        assertTrue(g.last().error().contains("expired"), g.last().error());
        assertTrue(RetryPolicy.expired(SPEC, event(0, 0), T0.plus(Duration.ofMinutes(10)).plusMillis(1)));
        assertTrue(!RetryPolicy.expired(SPEC, event(0, 0), T0.plus(Duration.ofMinutes(10))));
    }
}
