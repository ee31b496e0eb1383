package dev.nest.release;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.load.VersionTraffic;
import dev.nest.store.InvocationRecord;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrafficCountersTest {
    private static InvocationRecord record(int version, int status, double ms) {
        return record(version, status, ms, false);
    }

    private static InvocationRecord record(int version, int status, double ms, boolean cold) {
        return new InvocationRecord("id", "default/f", version, Instant.EPOCH, ms, status, cold, "i", "", Map.of());
    }

    @Test
    void countsRequestsServerErrorsAndLatencyPerVersion() {
        TrafficCounters c = new TrafficCounters();
        c.accept(record(1, 200, 4));
        c.accept(record(1, 500, 4));
        c.accept(record(1, 404, 600));
        c.accept(record(2, 502, 30));
        c.accept(record(0, 404, 1)); // no version: an unknown function
        List<VersionTraffic> s = c.snapshot().stream().sorted(Comparator.comparingInt(VersionTraffic::version)).toList();
        assertEquals(2, s.size());
        assertEquals(List.of(3L, 1L), List.of(s.get(0).requests(), s.get(0).errors()), "a 4xx is the caller's, not an error");
        assertEquals(2L, s.get(0).latency().get(VersionTraffic.bucket(4)));
        assertEquals(1L, s.get(0).latency().get(VersionTraffic.bucket(600)));
        assertEquals(List.of(1L, 1L), List.of(s.get(1).requests(), s.get(1).errors()));
        assertEquals(600.0, Window.of(s.get(0)).p99Ms(), "600 ms is a bucket bound");
    }

    @Test
    void aColdRequestCountsAsARequestAndAnErrorButNotInTheLatency() {
        TrafficCounters c = new TrafficCounters();
        c.accept(record(3, 200, 800, true));
        c.accept(record(3, 503, 900, true));
        for (int i = 0; i < 20; i++) {
            c.accept(record(3, 200, 40));
        }
        VersionTraffic t = c.snapshot().get(0);
        assertEquals(List.of(22L, 1L), List.of(t.requests(), t.errors()));
        assertEquals(0L, t.latency().get(VersionTraffic.bucket(800)));
        assertEquals(0L, t.latency().get(VersionTraffic.bucket(900)));
        assertEquals(20L, t.latency().stream().mapToLong(Long::longValue).sum());
        assertEquals((double) VersionTraffic.LATENCY_BOUNDS_MS.get(VersionTraffic.bucket(40)), Window.of(t).p99Ms(),
                "the p99 is the warm requests' bucket");
    }
}
