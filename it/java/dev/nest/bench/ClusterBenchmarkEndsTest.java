package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The failover's ends, on a fake clock: no sleeps (the pause advances the clock or does nothing). */
class ClusterBenchmarkEndsTest {
    private static final long MS = 1_000_000L;
    /** Only keeps a broken (sequential) watcher from hanging the build; no figure depends on it. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    @Test
    void aCheckThatIsSlowToAnswerDoesNotDelayTheTimeOfAnother() {
        AtomicLong clock = new AtomicLong(1_234 * MS);
        CountDownLatch answer = new CountDownLatch(1);
        Map<String, ClusterBenchmarkEnds.Check> checks = new LinkedHashMap<>();
        // first in order, as the survivor's API poll was: it answers only when the test lets it
        checks.put("named", () -> {
            answer.await();
            return true;
        });
        checks.put("epoch", () -> true);
        assertTimeoutPreemptively(HANG_GUARD, () -> {
            try (ClusterBenchmarkEnds ends = ClusterBenchmarkEnds.watch(0, clock::get, () -> { }, Duration.ofMinutes(2), checks)) {
                assertEquals(1_234.0, ends.await("epoch"), "the epoch is timed when it is seen, while the poll still waits");
                clock.set(9_000 * MS);
                answer.countDown();
                assertEquals(9_000.0, ends.await("named"), "the slow poll is timed when it answers");
            }
        });
    }

    @Test
    void theTimeIsTheFirstRoundThatHoldsAndAnExceptionIsNotYet() throws InterruptedException {
        AtomicLong clock = new AtomicLong(500 * MS);
        AtomicInteger calls = new AtomicInteger();
        ClusterBenchmarkEnds.Check third = () -> switch (calls.incrementAndGet()) {
            case 1 -> false;
            case 2 -> throw new java.io.IOException("connection refused");
            default -> true;
        };
        try (ClusterBenchmarkEnds ends = ClusterBenchmarkEnds.watch(500 * MS, clock::get, () -> clock.addAndGet(10 * MS),
                Duration.ofMinutes(2), Map.of("placement", third))) {
            assertEquals(20.0, ends.await("placement"));
        }
        assertEquals(3, calls.get());
    }

    @Test
    void aCheckThatNeverHoldsIsGivenUpAfterTheLimitWithItsName() {
        AtomicLong clock = new AtomicLong();
        try (ClusterBenchmarkEnds ends = ClusterBenchmarkEnds.watch(0, clock::get, () -> clock.addAndGet(1_000 * MS),
                Duration.ofSeconds(5), Map.of("epoch", () -> false))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ends.await("epoch"));
            assertTrue(e.getMessage().contains("epoch") && e.getMessage().contains("5000 ms"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ends.await("named"));
        }
        assertThrows(IllegalArgumentException.class,
                () -> ClusterBenchmarkEnds.watch(0, clock::get, () -> { }, Duration.ofSeconds(1), Map.of()));
    }
}
