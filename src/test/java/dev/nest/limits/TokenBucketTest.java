package dev.nest.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One token bucket, with the times given. */
class TokenBucketTest {
    private static final long MS = 1_000_000L;

    @Test
    void startsFullTakesItsBurstThenSaysWhenTheNextTokenComes() {
        TokenBucket b = new TokenBucket(3, 100 * MS, 0); // 10/s, burst 3
        assertEquals(0, b.take(0));
        assertEquals(0, b.take(0));
        assertEquals(0, b.take(0));
        assertEquals(100 * MS, b.take(0));
        assertEquals(40 * MS, b.take(60 * MS));
        assertEquals(0, b.take(100 * MS));
        assertEquals(100 * MS, b.take(100 * MS));
    }

    @ParameterizedTest(name = "capacity {0}, {1} ms per token, idle {2} ms -> {3} tokens")
    @CsvSource({
        "10, 100, 0,     10",
        "10, 100, 50,    10",
        "1,  1000, 60000, 1",
        "5,  10,  30,    5"})
    void neverHoldsMoreThanItsCapacity(double capacity, long msPerToken, long idleMs, double tokens) {
        TokenBucket b = new TokenBucket(capacity, msPerToken * MS, 0);
        assertEquals(tokens, b.tokens(idleMs * MS), 1e-9);
    }

    @Test
    void refillsFractionsAndGivesBackWhatWasNotUsed() {
        TokenBucket b = new TokenBucket(2, 10 * MS, 0, 0);
        assertEquals(0.5, b.tokens(5 * MS), 1e-9);
        assertEquals(5 * MS, b.take(5 * MS));
        assertEquals(0, b.take(10 * MS));
        b.giveBack();
        assertEquals(1, b.tokens(10 * MS), 1e-9);
        assertEquals(1.0, b.tokens(5 * MS), 1e-9, "time that goes back adds nothing");
    }

    @Test
    void aReshapedBucketKeepsItsTokensUpToTheNewCapacity() {
        TokenBucket b = new TokenBucket(10, MS, 0);
        for (int i = 0; i < 4; i++) {
            b.take(0);
        }
        assertEquals(6, b.reshaped(20, 2 * MS, 0).tokens(0), 1e-9);
        assertEquals(3, b.reshaped(3, 2 * MS, 0).tokens(0), 1e-9);
    }

    @Test
    void refusesAShapeThatCouldNeverPass() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0.5, MS, 0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(1, 0, 0));
    }
}
