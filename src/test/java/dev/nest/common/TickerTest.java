package dev.nest.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TickerTest {
    @Test
    void aWakeRunsARoundWithoutWaitingForTheInterval() throws InterruptedException {
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch second = new CountDownLatch(2);
        try (Ticker t = new Ticker("test-ticker", Duration.ofHours(1), () -> {
            first.countDown();
            second.countDown();
        }, e -> { })) {
            t.start();
            assertEquals(Ticker.State.RUNNING, t.state());
            assertTrue(first.await(10, TimeUnit.SECONDS), "the first round runs at once");
            t.wake(); // the second only because of the wake
            assertTrue(second.await(10, TimeUnit.SECONDS), "two rounds within an hour's interval");
        }
    }

    @Test
    void aFailingRoundIsReportedAndTheRoundsGoOn() throws InterruptedException {
        AtomicInteger failures = new AtomicInteger();
        CountDownLatch failed = new CountDownLatch(1);
        CountDownLatch rounds = new CountDownLatch(2);
        try (Ticker t = new Ticker("test-ticker", Duration.ofHours(1), () -> {
            rounds.countDown();
            throw new IllegalStateException("boom");
        }, e -> {
            failures.incrementAndGet();
            failed.countDown();
        })) {
            t.start();
            assertTrue(failed.await(10, TimeUnit.SECONDS), "the first round's exception is reported");
            t.wake();
            assertTrue(rounds.await(10, TimeUnit.SECONDS), "and the next round runs");
        }
        assertTrue(failures.get() >= 1);
    }

    @Test
    void itStartsOnceAndClosesForGood() {
        Ticker t = new Ticker("test-ticker", Duration.ofSeconds(1), () -> { }, e -> { });
        t.start();
        assertThrows(IllegalStateException.class, t::start);
        t.close();
        t.close();
        assertEquals(Ticker.State.CLOSED, t.state());
        assertThrows(IllegalArgumentException.class, () -> new Ticker("x", Duration.ZERO, () -> { }, e -> { }));
    }
}
