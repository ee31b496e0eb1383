package dev.nest.async;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2EventQueueTest {
    private static final Duration LEASE = Duration.ofMinutes(5);
    @TempDir
    Path dir;
    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    private String url;
    private H2EventQueue queue;

    @BeforeEach
    void open() {
        url = "jdbc:h2:file:" + dir.resolve("nest") + ";DB_CLOSE_ON_EXIT=FALSE";
        queue = H2EventQueue.open(url, clock);
    }

    @AfterEach
    void close() {
        queue.close();
    }

    private NewEvent event(String id, String fn, Optional<String> key) {
        return new NewEvent(id, fn, "POST", "/x", "a=1", List.of("traceparent", "00-abc-def-01", "X-Empty", ""),
                ("body " + id).getBytes(StandardCharsets.UTF_8), key, clock.instant());
    }

    private Enqueued put(NewEvent e) {
        return queue.enqueue(e).join();
    }

    @Test
    void enqueuedEventIsLeasedWithItsRequest() {
        NewEvent e = event("e1", "default/f", Optional.empty());
        assertEquals(new Enqueued("e1", false), put(e));
        assertEquals(EventState.QUEUED, queue.status("e1").orElseThrow().state());
        List<Event> leased = queue.lease(10, LEASE, f -> 10);
        assertEquals(1, leased.size());
        NewEvent back = leased.get(0).request();
        assertEquals(e.headers(), back.headers());
        assertArrayEquals(e.body(), back.body());
        assertEquals("a=1", back.query());
        assertEquals(EventState.RUNNING, queue.status("e1").orElseThrow().state());
        assertTrue(queue.lease(10, LEASE, f -> 10).isEmpty(), "a leased event is not handed out twice");
    }

    @Test
    void leaseNotAckedIsLeasedAgainAfterItEnds() {
        put(event("e1", "default/f", Optional.empty()));
        assertEquals(1, queue.lease(10, LEASE, f -> 10).size());
        clock.advance(LEASE.minusSeconds(1));
        assertTrue(queue.lease(10, LEASE, f -> 10).isEmpty());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(List.of("e1"), queue.lease(10, LEASE, f -> 10).stream().map(Event::id).toList());
    }

    @Test
    void leaseKeepsEachFunctionsRoomAndTheTotal() {
        for (int i = 0; i < 5; i++) {
            put(event("a" + i, "default/a", Optional.empty()));
            put(event("b" + i, "default/b", Optional.empty()));
        }
        List<Event> leased = queue.lease(10, LEASE, f -> f.equals("default/a") ? 2 : 1);
        assertEquals(2, leased.stream().filter(e -> e.function().equals("default/a")).count());
        assertEquals(1, leased.stream().filter(e -> e.function().equals("default/b")).count());
        assertEquals(2, queue.lease(2, LEASE, f -> 10).size());
    }

    @Test
    void retryWaitsUntilItsTime() {
        put(event("e1", "default/f", Optional.empty()));
        queue.lease(1, LEASE, f -> 1);
        queue.retry("e1", 1, 0, clock.instant().plusSeconds(30), Result.error(500, 12, "boom"));
        EventStatus s = queue.status("e1").orElseThrow();
        assertEquals(EventState.RETRYING, s.state());
        assertEquals(1, s.attempt());
        assertEquals(Optional.of(clock.instant().plusSeconds(30)), s.nextTryAt());
        assertTrue(queue.lease(1, LEASE, f -> 1).isEmpty());
        clock.advance(Duration.ofSeconds(30));
        Event again = queue.lease(1, LEASE, f -> 1).get(0);
        assertEquals(1, again.attempt());
    }

    @Test
    void restartOnTheSameFileKeepsQueuedEvents() throws Exception {
        for (int i = 0; i < 20; i++) {
            put(event("e" + i, "default/f", Optional.empty()));
        }
        queue.lease(3, LEASE, f -> 10);
        // what kill -9 leaves: the files closed with no cleanup, nothing written after the last commit
        try (Connection c = DriverManager.getConnection(url, "nest", ""); Statement s = c.createStatement()) {
            s.execute("SHUTDOWN IMMEDIATELY");
        }
        queue.close();
        queue = H2EventQueue.open(url, clock);
        List<Event> all = queue.lease(100, LEASE, f -> 100);
        assertEquals(20, all.size(), "queued and leased events survive, the leased ones due again at once");
    }

    @Test
    void succeededKeepsTheResultUpToTheLimit() {
        put(event("e1", "default/f", Optional.empty()));
        queue.lease(1, LEASE, f -> 1);
        queue.succeeded("e1", 1, new Result(200, 15, new byte[EventQueue.MAX_RESULT + 10], ""));
        EventStatus s = queue.status("e1").orElseThrow();
        assertEquals(EventState.SUCCEEDED, s.state());
        assertEquals(200, s.status());
        assertEquals(EventQueue.MAX_RESULT, s.result().orElseThrow().length);
        assertEquals(Optional.of(clock.instant()), s.finishedAt());
        assertTrue(queue.lease(1, LEASE, f -> 1).isEmpty());
    }

    @Test
    void idempotencyKeyWithinTheWindowGivesTheFirstId() {
        assertEquals(new Enqueued("e1", false), put(event("e1", "default/f", Optional.of("k"))));
        clock.advance(Duration.ofHours(23));
        assertEquals(new Enqueued("e1", true), put(event("e2", "default/f", Optional.of("k"))));
        assertEquals(new Enqueued("e3", false), put(event("e3", "default/g", Optional.of("k"))), "keys are per function");
        assertFalse(queue.status("e2").isPresent());
        clock.advance(Duration.ofHours(1).plusMillis(1));
        assertEquals(new Enqueued("e4", false), put(event("e4", "default/f", Optional.of("k"))), "after 24 h a key is new");
    }

    @Test
    void sameKeyTwiceInOneGroupEnqueuesOnce() {
        var a = queue.enqueue(event("e1", "default/f", Optional.of("k")));
        var b = queue.enqueue(event("e2", "default/f", Optional.of("k")));
        assertEquals("e1", a.join().id());
        assertEquals("e1", b.join().id());
    }

    @Test
    void deadLettersAreListedAndRedriven() {
        put(event("e1", "default/f", Optional.empty()));
        put(event("e2", "default/f", Optional.empty()));
        put(event("e3", "default/f", Optional.empty()));
        queue.lease(10, LEASE, f -> 10);
        queue.dead("e1", 3, Result.error(500, 5, "boom 1"));
        queue.dead("e2", 3, Result.error(502, 5, "boom 2"));
        queue.succeeded("e3", 1, new Result(200, 1, new byte[0], ""));
        List<EventStatus> dead = queue.deadLetters("default/f", 10);
        assertEquals(2, dead.size());
        assertTrue(dead.stream().anyMatch(d -> d.lastError().equals("boom 2")));
        assertEquals(1, queue.redrive("default/f", Optional.of("e1")));
        assertEquals(EventState.QUEUED, queue.status("e1").orElseThrow().state());
        assertEquals(0, queue.status("e1").orElseThrow().attempt());
        assertEquals(1, queue.redrive("default/f", Optional.empty()));
        assertEquals(0, queue.redrive("default/f", Optional.empty()));
        assertEquals(2, queue.lease(10, LEASE, f -> 10).size());
    }

    @Test
    void purgeKeepsDeadLettersForTwoWeeks() {
        put(event("e1", "default/f", Optional.empty()));
        queue.lease(10, LEASE, f -> 10);
        queue.dead("e1", 1, Result.error(500, 1, "boom"));
        clock.advance(Duration.ofDays(2));
        assertEquals(0, queue.purge(clock.instant().minus(Duration.ofHours(24))));
        clock.advance(Duration.ofDays(13));
        assertEquals(1, queue.purge(clock.instant().minus(Duration.ofHours(24))));
    }

    @Test
    void purgeKeepsIdempotencyKeysForTheirWindow() {
        put(event("e1", "default/f", Optional.of("k")));
        put(event("e2", "default/f", Optional.empty()));
        queue.lease(10, LEASE, f -> 10);
        queue.succeeded("e1", 1, new Result(200, 1, new byte[0], ""));
        queue.succeeded("e2", 1, new Result(200, 1, new byte[0], ""));
        clock.advance(Duration.ofHours(2));
        assertEquals(1, queue.purge(clock.instant().minus(Duration.ofHours(1))));
        assertEquals("e1", put(event("e9", "default/f", Optional.of("k"))).id());
    }
}
