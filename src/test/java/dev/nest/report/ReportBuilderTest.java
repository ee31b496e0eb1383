package dev.nest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReportBuilderTest {
    /** 2026-01-01T10:02:30Z */
    private static final Instant NOW = Instant.parse("2026-01-01T10:02:30Z");

    private static Bucket bucket(String fn, int version, long at, long requests, long errors, long throttles, long cold,
                                 int conc, int inst, double... ms) {
        Latency l = Latency.empty();
        for (double m : ms) {
            l.recordMillis(m);
        }
        return new Bucket(fn, version, 60, at, requests, errors, throttles, cold, conc, inst, l.encode(),
                Latency.empty().encode());
    }

    @ParameterizedTest(name = "{0} at {1}: from {2}, until {3}, {4} points")
    @CsvSource({
            "5m, 2026-01-01T10:02:30Z, 2026-01-01T09:58:00Z, 2026-01-01T10:03:00Z, 5",
            "15m, 2026-01-01T10:02:30Z, 2026-01-01T09:48:00Z, 2026-01-01T10:03:00Z, 15",
            "1h, 2026-01-01T10:00:00Z, 2026-01-01T09:01:00Z, 2026-01-01T10:01:00Z, 60",
            "6h, 2026-01-01T10:02:30Z, 2026-01-01T04:05:00Z, 2026-01-01T10:05:00Z, 72",
            "24h, 2026-01-01T10:02:30Z, 2025-12-31T10:15:00Z, 2026-01-01T10:15:00Z, 96",
            "7d, 2026-01-01T10:02:30Z, 2025-12-25T11:00:00Z, 2026-01-01T11:00:00Z, 168"})
    void windowsCoverWholeStepsUpToNow(String window, String now, String from, String until, int points) {
        Report r = ReportBuilder.build(Scope.function("default/f"), ReportWindow.parse(window), Instant.parse(now),
                List.of(), List.of(), Optional.empty());
        assertEquals(Instant.parse(from), r.from());
        assertEquals(Instant.parse(until), r.until());
        assertEquals(points, r.series().size());
        assertEquals(0, r.totals().requests());
        assertEquals(0, r.totals().errorRate());
        assertFalse(r.partial());
    }

    @Test
    void twoNodesAddUpAndTheirPercentilesAreThoseOfTheUnion() {
        long m0 = Instant.parse("2026-01-01T10:01:00Z").getEpochSecond();
        long m1 = Instant.parse("2026-01-01T10:02:00Z").getEpochSecond();
        List<Bucket> nodeA = List.of(
                bucket("default/f", 1, m0, 4, 1, 0, 1, 2, 1, 10, 10, 10, 10),
                bucket("default/f", 2, m1, 2, 0, 1, 0, 1, 1, 20, 20));
        List<Bucket> nodeB = List.of(
                bucket("default/f", 1, m0, 3, 0, 0, 0, 3, 2, 300, 300, 300),
                bucket("default/g", 1, m0, 100, 100, 0, 0, 9, 9, 1), // another function: not in f's report
                bucket("other/f", 1, m0, 100, 100, 0, 0, 9, 9, 1));  // another namespace
        List<Bucket> all = new ArrayList<>(nodeA);
        all.addAll(nodeB);
        Report r = ReportBuilder.build(Scope.function("default/f"), ReportWindow.M5, NOW, all, List.of(), Optional.empty());

        Latency union = Latency.empty();
        for (double v : new double[]{10, 10, 10, 10, 20, 20, 300, 300, 300}) {
            union.recordMillis(v);
        }
        assertEquals(9, r.totals().requests());
        assertEquals(1, r.totals().errors());
        assertEquals(1, r.totals().throttles());
        assertEquals(0.111111, r.totals().errorRate());
        assertEquals(Math.round(union.percentileMillis(99) * 1000) / 1000.0, r.totals().p99());
        assertEquals(Math.round(union.percentileMillis(50) * 1000) / 1000.0, r.totals().p50());
        assertTrue(r.totals().p99() >= 299 && r.totals().p50() < 21, r.totals().toString());
        assertEquals(1, r.totals().coldStarts());
        // gauges: the two nodes' versions at 10:01 add up (2 + 3 in flight, 1 + 2 instances)
        assertEquals(5, r.totals().maxConcurrency());
        assertEquals(3, r.totals().instances());
        Report.Point p0 = r.series().get(3);
        assertEquals(Instant.ofEpochSecond(m0), p0.at());
        assertEquals(7, p0.requests());
        Report.Point p1 = r.series().get(4);
        assertEquals(2, p1.requests());
        assertEquals(1, p1.maxConcurrency());
        assertEquals(0, r.series().get(0).requests());
    }

    @Test
    void aNamespaceReportCoversItsFunctionsOnly() {
        long m0 = Instant.parse("2026-01-01T10:01:00Z").getEpochSecond();
        List<Bucket> all = List.of(bucket("team/a", 1, m0, 1, 0, 0, 0, 0, 0, 5),
                bucket("team/b", 1, m0, 2, 2, 0, 0, 0, 0, 5, 5), bucket("team-2/a", 1, m0, 50, 0, 0, 0, 0, 0, 1));
        Report r = ReportBuilder.build(Scope.namespace("team"), ReportWindow.M15, NOW, all, List.of("node-3"),
                Optional.of(new Backlog(4, 12.5)));
        assertEquals(3, r.totals().requests());
        assertEquals(0.666667, r.totals().errorRate());
        assertTrue(r.partial());
        assertEquals(List.of("node-3"), r.unreachable());
        assertEquals(Optional.empty(), r.function());
        assertEquals("team", r.namespace());
        assertEquals(4, r.totals().queueDepth());
        assertEquals(12.5, r.totals().queueAgeSeconds());
    }

    @Test
    void bucketsOutsideTheWindowOrOfAnotherResolutionAreIgnored() {
        long old = Instant.parse("2026-01-01T09:00:00Z").getEpochSecond();
        long in = Instant.parse("2026-01-01T10:00:00Z").getEpochSecond();
        Bucket hour = new Bucket("default/f", 1, 3600, in, 9, 0, 0, 0, 0, 0, new byte[0], new byte[0]);
        Report r = ReportBuilder.build(Scope.function("default/f"), ReportWindow.M5, NOW,
                List.of(bucket("default/f", 1, old, 5, 0, 0, 0, 0, 0, 1), hour), List.of(), Optional.empty());
        assertEquals(0, r.totals().requests());
    }
}
