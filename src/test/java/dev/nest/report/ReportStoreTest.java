package dev.nest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.auth.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReportStoreTest {
    private static final AtomicInteger DB = new AtomicInteger();
    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    private final String url = "jdbc:h2:mem:report-" + DB.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
    private final FakeClock clock = new FakeClock(T0.plusSeconds(5));
    private final List<InstanceSample> instances = new CopyOnWriteArrayList<>();
    private final List<ReportStore> opened = new ArrayList<>();

    private ReportStore open() {
        ReportStore s = ReportStore.open(url, clock, () -> instances);
        opened.add(s);
        return s;
    }

    @AfterEach
    void close() {
        opened.forEach(ReportStore::close);
    }

    private static long sec(Instant i) {
        return i.getEpochSecond();
    }

    @Test
    void recordsAreRolledUpIntoMinuteAndHourBuckets() {
        ReportStore store = open();
        store.accept(Records.ok("default/f", T0.plusSeconds(1), 10));
        store.accept(Records.ok("default/f", T0.plusSeconds(59), 30));
        store.accept(Records.ok("default/f", T0.plusSeconds(61), 50));
        store.accept(Records.record("default/f", 2, T0.plusSeconds(2), 5, 500, true, "i-2", "", Map.of("init", 40.0)));
        store.accept(Records.record("default/f", 1, T0.plusSeconds(3), 1, 429, false, "", "rate limited", Map.of()));
        store.accept(Records.ok("default/g", T0, 1));
        store.accept(Records.ok("team/f", T0, 1));

        List<Bucket> minutes = store.buckets(Scope.function("default/f"), Resolution.MINUTE, sec(T0), sec(T0) + 3600);
        assertEquals(3, minutes.size(), minutes.toString());
        Bucket v1m0 = minutes.stream().filter(b -> b.version() == 1 && b.at() == sec(T0)).findFirst().orElseThrow();
        assertEquals(3, v1m0.requests());
        assertEquals(1, v1m0.throttles());
        assertEquals(0, v1m0.errors());
        Bucket v2 = minutes.stream().filter(b -> b.version() == 2).findFirst().orElseThrow();
        assertEquals(1, v2.errors());
        assertEquals(1, v2.coldStarts());
        assertEquals(40, Latency.decode(v2.init()).percentileMillis(50), 0.5);

        List<Bucket> hours = store.buckets(Scope.function("default/f"), Resolution.HOUR, sec(T0), sec(T0) + 3600);
        assertEquals(4, hours.stream().filter(b -> b.version() == 1).findFirst().orElseThrow().requests());
        assertEquals(3, store.buckets(Scope.namespace("default"), Resolution.MINUTE, sec(T0), sec(T0) + 60).size());
        assertEquals(0, store.dropped());
    }

    @Test
    void runsOfOneVersionAndSwitchesBetweenVersionsMinutesAndWritesAllCountWhereTheyBelong() {
        ReportStore store = open();
        // runs of one version (the writer reuses the last bucket), then switches of function, version, minute and hour
        List<String> fns = List.of("default/f", "default/f", "default/g", "default/f", "default/f");
        int n = 0;
        for (int minute = 0; minute < 3; minute++) {
            for (int i = 0; i < 50; i++) {
                Instant at = T0.plusSeconds(minute * 60L + i % 60);
                store.accept(Records.record(fns.get(i % fns.size()), i % 7 == 0 ? 2 : 1, at, 1, 200, false, "i-1", "",
                        Map.of()));
                n++;
                if (i == 25) {
                    store.flush(); // a write in the middle of a run: buckets may leave memory, counting goes on
                }
            }
        }
        store.accept(Records.ok("default/f", T0.plusSeconds(3600), 1)); // the next hour
        List<Bucket> all = store.buckets(Scope.namespace("default"), Resolution.MINUTE, sec(T0), sec(T0) + 7200);
        assertEquals(n + 1, all.stream().mapToLong(Bucket::requests).sum(), all.toString());
        for (int minute = 0; minute < 3; minute++) {
            long at = sec(T0) + minute * 60L;
            long g = all.stream().filter(b -> b.at() == at && b.function().equals("default/g")).mapToLong(Bucket::requests).sum();
            long v2 = all.stream().filter(b -> b.at() == at && b.version() == 2).mapToLong(Bucket::requests).sum();
            assertEquals(10, g, "default/g in minute " + minute); // i % 5 == 2
            assertEquals(8, v2, "version 2 in minute " + minute); // i % 7 == 0 for i < 50
        }
        List<Bucket> hours = store.buckets(Scope.namespace("default"), Resolution.HOUR, sec(T0), sec(T0) + 7200);
        assertEquals(n, hours.stream().filter(b -> b.at() == sec(T0)).mapToLong(Bucket::requests).sum());
        assertEquals(1, hours.stream().filter(b -> b.at() == sec(T0) + 3600).mapToLong(Bucket::requests).sum());
        assertEquals(0, store.dropped());
    }

    @Test
    void instancesAndRequestsInFlightAreSampledAsPeaks() {
        instances.add(new InstanceSample("default/f", 1, 3));
        instances.add(new InstanceSample("default/f", 1, 2));
        ReportStore store = open();
        store.flush(); // the first round samples
        instances.clear();
        instances.add(new InstanceSample("default/f", 1, 1));
        clock.advance(Duration.ofSeconds(2));
        store.flush();
        Bucket b = store.buckets(Scope.function("default/f"), Resolution.MINUTE, sec(T0), sec(T0) + 60).getFirst();
        assertEquals(5, b.maxConcurrency());
        assertEquals(2, b.instances());
        assertEquals(0, b.requests());
    }

    @Test
    void aRestartedNodeAddsToTheRowsItWroteBefore() {
        ReportStore first = open();
        first.accept(Records.ok("default/f", T0.plusSeconds(1), 10));
        first.flush();
        first.close();
        ReportStore second = open();
        second.accept(Records.ok("default/f", T0.plusSeconds(2), 1000));
        Bucket b = second.buckets(Scope.function("default/f"), Resolution.MINUTE, sec(T0), sec(T0) + 60).getFirst();
        assertEquals(2, b.requests());
        assertTrue(Latency.decode(b.latency()).percentileMillis(100) > 990);
        assertEquals(2, Latency.decode(b.latency()).count());
    }

    @Test
    void oldBucketsArePurgedByTheirResolution() {
        ReportStore first = open();
        first.accept(Records.ok("default/f", T0.minus(Duration.ofDays(3)), 1)); // minute row: past 2 days
        first.accept(Records.ok("default/f", T0.minus(Duration.ofDays(9)), 1)); // both rows: past 8 days
        first.flush();
        first.close();
        ReportStore second = open(); // purges on its first round
        second.flush();
        long from = sec(T0.minus(Duration.ofDays(10)));
        assertEquals(0, second.buckets(Scope.function("default/f"), Resolution.MINUTE, from, sec(T0)).size());
        List<Bucket> hours = second.buckets(Scope.function("default/f"), Resolution.HOUR, from, sec(T0));
        assertEquals(1, hours.size());
        assertEquals(sec(T0.minus(Duration.ofDays(3))), hours.getFirst().at());
    }

    @Test
    void aNamespaceNameIsNotAPattern() {
        ReportStore store = open();
        store.accept(Records.ok("ab/f", T0, 1));
        assertEquals(0, store.buckets(Scope.namespace("a_"), Resolution.MINUTE, sec(T0), sec(T0) + 60).size());
        assertEquals(0, store.buckets(Scope.namespace("%"), Resolution.MINUTE, sec(T0), sec(T0) + 60).size());
        assertEquals(1, store.buckets(Scope.namespace("ab"), Resolution.MINUTE, sec(T0), sec(T0) + 60).size());
    }
}
