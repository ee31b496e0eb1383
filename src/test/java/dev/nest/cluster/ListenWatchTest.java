package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The listen watch's tries, on a fake clock and a fake port: called directly, never scheduled, never sleeping. */
class ListenWatchTest {
    private final AtomicBoolean listens = new AtomicBoolean();
    private final AtomicInteger tries = new AtomicInteger();
    private final AtomicInteger announced = new AtomicInteger();
    private final AtomicLong now = new AtomicLong(987_654_321L);
    private final ListenWatch watch = new ListenWatch("127.0.0.1:8080", () -> {
        tries.incrementAndGet();
        return listens.get();
    }, announced::incrementAndGet, Duration.ofMillis(20), Duration.ofSeconds(120), now::get);

    @Test
    void announcesOnceOnTheFirstAcceptedConnectionAndStopsTrying() {
        assertTrue(watch.check(), "not listening yet: try again");
        now.addAndGet(Duration.ofSeconds(3).toNanos());
        assertTrue(watch.check());
        assertEquals(0, announced.get(), "never announced before the port accepted a connection");
        listens.set(true);
        assertFalse(watch.check(), "done");
        assertEquals(1, announced.get());
        assertFalse(watch.check());
        assertEquals(1, announced.get(), "announced once");
        assertEquals(3, tries.get(), "no try after the announcement");
    }

    @Test
    void givesUpWithoutAnnouncingWhenItsOwnPortNeverAnswers() {
        assertTrue(watch.check());
        now.addAndGet(Duration.ofSeconds(119).toNanos());
        assertTrue(watch.check(), "still within the time it tries");
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertFalse(watch.check(), "given up: its peers keep the start grace");
        listens.set(true);
        assertFalse(watch.check());
        assertEquals(0, announced.get(), "a port that listens later is not announced after giving up");
    }

    @Test
    void refusesASettingThatWouldTryForever() {
        assertThrows(IllegalArgumentException.class, () -> new ListenWatch("x", () -> true, () -> { },
                Duration.ZERO, Duration.ofSeconds(1), System::nanoTime));
        assertThrows(IllegalArgumentException.class, () -> new ListenWatch("x", () -> true, () -> { },
                Duration.ofMillis(20), Duration.ofSeconds(-1), System::nanoTime));
    }
}
