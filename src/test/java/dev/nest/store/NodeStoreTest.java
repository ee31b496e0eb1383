package dev.nest.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;

class NodeStoreTest {
    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");
    private static final Duration RETENTION = Duration.ofDays(7);
    private static final int MAX_LINE = 300;

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(T0);
    private NodeStore store;

    @BeforeEach
    void open() {
        store = NodeStore.open(dir, clock, RETENTION, MAX_LINE);
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** A clock the test moves; read by the writer thread. */
    static final class FakeClock extends Clock {
        private volatile Instant now;

        FakeClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /** An id shaped like the gateway's: 16 hex digits of {@code epochMillis << 20 | seq}, then 4 of the node. */
    private static String id(Instant at, int seq) {
        return String.format("%016x", at.toEpochMilli() << 20 | seq) + "0a0b";
    }

    private static InvocationRecord inv(String function, Instant at, int seq, int status) {
        return new InvocationRecord(id(at, seq), function, 3, at, 12.5 + seq, status, seq % 2 == 0,
                "inst-" + seq, status >= 500 ? "boom " + seq : "", Map.of("queue", 0.25, "exec", 10.125 + seq));
    }

    private static LogLine line(Instant at, String function, String invocationId, String text) {
        return new LogLine(at, function, 3, invocationId, "inst-1", "info", text);
    }

    private static AuditEntry audit(Instant at, String function, String action, int version) {
        return new AuditEntry(at, function, action, version, "cli", action + " of " + function);
    }

    // ---- invocations -----------------------------------------------------------------------------------

    private List<InvocationRecord> recordSome() {
        List<InvocationRecord> all = List.of(
                inv("default/a", T0.plusMillis(1), 0, 200),
                inv("default/b", T0.plusMillis(2), 1, 200),
                inv("default/a", T0.plusMillis(3), 2, 502),
                inv("team/c", T0.plusMillis(3), 3, 200),
                inv("default/a", T0.plusSeconds(5), 4, 429));
        all.forEach(store::record);
        store.flush();
        return all;
    }

    static Stream<Arguments> invocationQueries() {
        return Stream.of(
                Arguments.of(Optional.empty(), 100, List.of(4, 3, 2, 1, 0)),
                Arguments.of(Optional.empty(), 2, List.of(4, 3)),
                Arguments.of(Optional.of("default/a"), 100, List.of(4, 2, 0)),
                Arguments.of(Optional.of("default/a"), 1, List.of(4)),
                Arguments.of(Optional.of("team/c"), 100, List.of(3)),
                Arguments.of(Optional.of("default/none"), 100, List.of()));
    }

    /** One database for the whole table: opening H2 is the slow part of these tests. */
    @Test
    void invocationsAreNewestFirstFilteredAndLimited() {
        List<InvocationRecord> all = recordSome();
        invocationQueries().forEach(q -> {
            Object[] a = q.get();
            @SuppressWarnings("unchecked")
            Optional<String> function = (Optional<String>) a[0];
            @SuppressWarnings("unchecked")
            List<Integer> expected = (List<Integer>) a[2];
            assertEquals(expected.stream().map(all::get).toList(), store.invocations(function, (int) a[1]),
                    "function " + function + ", limit " + a[1]);
        });
    }

    @Test
    void anInvocationIsFoundByItsId() {
        List<InvocationRecord> all = recordSome();
        for (InvocationRecord r : all) {
            assertEquals(Optional.of(r), store.invocation(r.id()));
        }
        assertEquals(Optional.empty(), store.invocation(id(T0, 99)));
        assertEquals(Optional.empty(), store.invocation("no-such-id"));
    }

    @Test
    void aLongErrorIsCut() {
        String error = "e".repeat(5000);
        InvocationRecord r = new InvocationRecord(id(T0, 1), "default/a", 1, T0, 1, 500, false, "", error, Map.of());
        store.record(r);
        store.flush();
        String stored = store.invocation(r.id()).orElseThrow().error();
        assertEquals(2000, stored.length());
        assertEquals("e".repeat(1999) + "…", stored);
    }

    @Test
    void anInvocationWithAnIdNotMadeByTheGatewayIsFoundToo() {
        InvocationRecord r = new InvocationRecord("custom-id", "default/a", 1, T0, 1, 200, false, "", "", Map.of());
        store.record(r);
        store.flush();
        assertEquals(Optional.of(r), store.invocation("custom-id"));
    }

    @Test
    void oneBadRowDoesNotLoseTheRowsWrittenWithIt() {
        List<InvocationRecord> good = IntStream.range(0, 500)
                .mapToObj(i -> inv("default/a", T0.plusMillis(i), i, 200)).toList();
        for (int i = 0; i < good.size(); i++) {
            store.record(good.get(i));
            if (i == 250) {
                store.log(line(T0, "default/a", "x".repeat(65), "a framed line with a long invocation id"));
                store.record(good.get(0));
            }
        }
        store.flush();
        assertEquals(good.size(), store.invocations(Optional.empty(), 10_000).size());
    }

    // ---- logs ------------------------------------------------------------------------------------------

    private List<LogLine> logSome() {
        List<LogLine> all = List.of(
                line(T0, "default/a", "inv-1", "a first"),
                line(T0, "default/b", "inv-2", "b first"),
                line(T0.minusSeconds(10), "default/a", "inv-1", "a second, with an earlier clock"),
                line(T0, "default/a", "inv-3", "a third"),
                line(T0, "", "", "pod line"),
                new LogLine(T0.plusMillis(7), "default/a", 4, "inv-3", "inst-9", "error", "a fourth"));
        all.forEach(store::log);
        store.flush();
        return all;
    }

    static Stream<Arguments> logQueries() {
        return Stream.of(
                Arguments.of(Optional.empty(), Optional.empty(), 100, List.of(0, 1, 2, 3, 4, 5)),
                Arguments.of(Optional.empty(), Optional.empty(), 2, List.of(4, 5)),
                Arguments.of(Optional.of("default/a"), Optional.empty(), 100, List.of(0, 2, 3, 5)),
                Arguments.of(Optional.of("default/a"), Optional.empty(), 3, List.of(2, 3, 5)),
                Arguments.of(Optional.empty(), Optional.of("inv-1"), 100, List.of(0, 2)),
                Arguments.of(Optional.of("default/a"), Optional.of("inv-3"), 100, List.of(3, 5)),
                Arguments.of(Optional.of("default/b"), Optional.of("inv-3"), 100, List.of()));
    }

    @Test
    void logsAreInWriteOrderAmongTheNewestFiltered() {
        List<LogLine> all = logSome();
        logQueries().forEach(q -> {
            Object[] a = q.get();
            @SuppressWarnings("unchecked")
            Optional<String> function = (Optional<String>) a[0];
            @SuppressWarnings("unchecked")
            Optional<String> invocation = (Optional<String>) a[1];
            @SuppressWarnings("unchecked")
            List<Integer> expected = (List<Integer>) a[3];
            assertEquals(expected.stream().map(all::get).toList(), store.logs(function, invocation, (int) a[2]),
                    "function " + function + ", invocation " + invocation + ", limit " + a[2]);
        });
    }

    @Test
    void aLongLogLineIsCutToTheLimit() {
        store.log(line(T0, "default/a", "inv-1", "x".repeat(MAX_LINE * 3)));
        store.log(line(T0, "default/a", "inv-1", "y".repeat(MAX_LINE)));
        store.flush();
        List<LogLine> lines = store.logs(Optional.empty(), Optional.empty(), 10);
        assertEquals("x".repeat(MAX_LINE - 1) + "…", lines.get(0).text());
        assertEquals("y".repeat(MAX_LINE), lines.get(1).text(), "a line of exactly the limit is kept whole");
    }

    // ---- audit -----------------------------------------------------------------------------------------

    @Test
    void auditIsNewestFirstFilteredAndLimited() {
        List<AuditEntry> all = List.of(
                audit(T0, "default/a", "deploy", 1),
                audit(T0.plusSeconds(1), "default/b", "deploy", 1),
                audit(T0.plusSeconds(2), "default/a", "deploy", 2),
                audit(T0.plusSeconds(3), "default/a", "rollback", 1),
                audit(T0.plusSeconds(4), "default/b", "delete", 0));
        all.forEach(store::audit);
        store.flush();
        assertEquals(List.of(all.get(4), all.get(3), all.get(2), all.get(1), all.get(0)),
                store.audit(Optional.empty(), 100));
        assertEquals(List.of(all.get(3), all.get(2), all.get(0)), store.audit(Optional.of("default/a"), 100));
        assertEquals(List.of(all.get(4), all.get(3)), store.audit(Optional.empty(), 2));
        assertEquals(List.of(), store.audit(Optional.of("default/none"), 100));
    }

    // ---- lifecycle -------------------------------------------------------------------------------------

    @Test
    void dataSurvivesReopening() {
        List<InvocationRecord> invs = recordSome();
        List<LogLine> lines = logSome();
        AuditEntry a = audit(T0, "default/a", "deploy", 1);
        store.audit(a);
        store.flush();
        store.close();

        store = NodeStore.open(dir, clock, RETENTION, MAX_LINE);
        assertEquals(invs.reversed(), store.invocations(Optional.empty(), 100));
        assertEquals(lines, store.logs(Optional.empty(), Optional.empty(), 100));
        assertEquals(List.of(a), store.audit(Optional.empty(), 100));

        LogLine later = line(T0.plusSeconds(60), "default/a", "inv-9", "after reopening");
        store.log(later);
        store.flush();
        List<LogLine> now = store.logs(Optional.empty(), Optional.empty(), 100);
        assertEquals(later, now.getLast(), "new lines come after the old ones");
        assertEquals(lines.size() + 1, now.size());
    }

    @Test
    void closeTwiceIsSafeAndRowsAfterCloseAreCountedAsDropped() {
        store.log(line(T0, "default/a", "inv-1", "before close"));
        store.close();
        store.close();
        assertEquals(0, store.dropped());
        store.log(line(T0, "default/a", "inv-1", "after close"));
        store.record(inv("default/a", T0, 1, 200));
        assertEquals(2, store.dropped());
        store.flush(); // returns at once

        store = NodeStore.open(dir, clock, RETENTION, MAX_LINE);
        assertEquals(List.of("before close"), store.logs(Optional.empty(), Optional.empty(), 10).stream()
                .map(LogLine::text).toList(), "close wrote what was queued before it");
    }

    @Test
    void rowsOlderThanRetentionArePurged() {
        InvocationRecord old = inv("default/a", T0, 1, 200);
        LogLine oldLine = line(T0, "default/a", old.id(), "old");
        store.record(old);
        store.log(oldLine);
        store.flush();
        assertEquals(List.of(old), store.invocations(Optional.empty(), 10));

        clock.advance(RETENTION.plusDays(1));
        Instant now = clock.instant();
        InvocationRecord fresh = inv("default/a", now, 2, 200);
        LogLine freshLine = line(now, "default/a", fresh.id(), "fresh");
        AuditEntry audit = audit(T0, "default/a", "deploy", 1);
        store.record(fresh);
        store.log(freshLine);
        store.audit(audit);
        // the writer purges after a batch once the clock has moved an hour past its last purge; the second
        // flush is queued only after the first batch, so the purge ran before it completes
        store.flush();
        store.flush();
        assertEquals(List.of(fresh), store.invocations(Optional.empty(), 10));
        assertEquals(List.of(freshLine), store.logs(Optional.empty(), Optional.empty(), 10));
        assertEquals(List.of(audit), store.audit(Optional.empty(), 10), "the audit is kept");
    }

    @Test
    void manyRowsAreWrittenInBatchesWithoutDrops() {
        List<LogLine> lines = new ArrayList<>();
        for (int i = 0; i < 2050; i++) {
            lines.add(line(T0, "default/a", "inv-" + (i % 7), "line " + i));
        }
        lines.forEach(store::log);
        store.flush();
        assertEquals(0, store.dropped());
        assertEquals(lines, store.logs(Optional.empty(), Optional.empty(), 10_000));
        assertEquals(lines.subList(2040, 2050), store.logs(Optional.empty(), Optional.empty(), 10));
    }
}
