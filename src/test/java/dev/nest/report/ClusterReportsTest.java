package dev.nest.report;

import dev.nest.common.Peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.auth.FakeClock;
import dev.nest.common.Json;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ClusterReportsTest {
    private static final Instant NOW = Instant.parse("2026-01-01T10:02:30Z");
    private static final long M = Instant.parse("2026-01-01T10:01:00Z").getEpochSecond();

    private static Bucket bucket(long requests, double ms) {
        Latency l = Latency.empty();
        for (int i = 0; i < requests; i++) {
            l.recordMillis(ms);
        }
        return new Bucket("default/f", 1, 60, M, requests, 0, 0, 0, 1, 1, l.encode(), new byte[0]);
    }

    @Test
    void peersAreMergedAndASilentOneIsNamed() {
        CountDownLatch never = new CountDownLatch(1);
        Map<String, ClusterReports.PeerAnswer> answers = Map.of("http://b:1", new ClusterReports.PeerAnswer(
                List.of(bucket(3, 100)), Optional.of(new Backlog(5, 30))));
        ClusterReports.PeerBuckets fetch = (base, scope, res, from, until) -> {
            if (base.toString().equals("http://c:1")) {
                try {
                    never.await(); // hangs until cancelled
                } catch (InterruptedException e) {
                    throw new IOException("cancelled");
                }
            }
            if (base.toString().equals("http://d:1")) {
                throw new IOException("connection refused");
            }
            return answers.get(base.toString());
        };
        ClusterReports reports = new ClusterReports((scope, res, from, until) -> List.of(bucket(1, 10)),
                () -> List.of(new Peer("b", URI.create("http://b:1")),
                        new Peer("c", URI.create("http://c:1")),
                        new Peer("d", URI.create("http://d:1"))),
                fetch, new FakeClock(NOW), Duration.ofMillis(300), s -> Optional.of(new Backlog(1, 90)));
        Report r = reports.report(Scope.function("default/f"), ReportWindow.M5);
        assertEquals(4, r.totals().requests());
        assertEquals(6, r.totals().queueDepth(), "the backlogs add up");
        assertEquals(90, r.totals().queueAgeSeconds(), "the oldest wins");
        assertTrue(r.partial());
        assertEquals(List.of("c", "d"), r.unreachable());
        assertTrue(r.totals().p50() > 99, r.totals().toString());
    }

    @Test
    void aLoneNodeNeedsNoPeers() {
        ClusterReports reports = new ClusterReports((scope, res, from, until) -> List.of(bucket(2, 10)), List::of,
                (base, scope, res, from, until) -> {
                    throw new AssertionError("no peer to call");
                }, new FakeClock(NOW), Duration.ofSeconds(1), s -> Optional.empty());
        Report r = reports.report(Scope.function("default/f"), ReportWindow.M5);
        assertEquals(2, r.totals().requests());
        assertFalse(r.partial());
    }

    @Test
    void thePeerAnswerRoundTripsAndBadOnesAreRefused() throws IOException {
        byte[] json = Json.bytes(ClusterReports.encode("n1", List.of(bucket(2, 10)), Optional.of(new Backlog(3, 4.5))));
        ClusterReports.PeerAnswer answer = ClusterReports.decode(json);
        assertEquals(Optional.of(new Backlog(3, 4.5)), answer.backlog());
        List<Bucket> back = answer.buckets();
        assertEquals(1, back.size());
        assertEquals(2, Latency.decode(back.getFirst().latency()).count());
        for (String bad : List.of("{\"buckets\":[{\"function\":\"default/f\",\"resolution\":61,\"latency\":\"\",\"init\":\"\"}]}",
                "{\"buckets\":[{\"function\":\"default/f\",\"resolution\":60,\"latency\":\"AAAA\",\"init\":\"\"}]}",
                "{\"buckets\":[{\"resolution\":60}]}", "{\"buckets\":[null]}", "[", "{\"buckets\":7}",
                "{\"buckets\":[],\"backlog\":{\"depth\":-1,\"oldestAgeSeconds\":0}}")) {
            assertThrows(IOException.class, () -> ClusterReports.decode(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
    }

    @Test
    void theQueryEncodesTheName() {
        assertEquals("scope=function&name=default%2Ff&resolution=60&from=1&until=2",
                ClusterReports.query(Scope.function("default/f"), Resolution.MINUTE, 1, 2));
    }
}
