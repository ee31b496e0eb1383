package dev.nest.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filtered reads, the size bound and the trace id's storage. */
class NodeStoreQueryTest {
    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");

    @TempDir
    Path dir;

    private static InvocationRecord inv(int seq, int version, int status, boolean cold) {
        Instant at = T0.plusSeconds(seq);
        String id = String.format("%016x", at.toEpochMilli() << 20 | seq) + "abcd";
        return new InvocationRecord(id, seq % 3 == 0 ? "team/c" : "default/a", version, at, 3.5, status, cold, "i",
                "", Map.of("exec", 1.0), seq % 2 == 0 ? "0af7651916cd43dd8448eb211c80319c" : "");
    }

    private static InvocationQuery q(Optional<String> fn, Optional<Integer> version, Optional<String> status,
                                     Optional<Boolean> cold, Optional<Instant> since, Optional<Instant> until,
                                     Optional<InvocationQuery.Position> before, int limit) {
        return new InvocationQuery(fn, version, status, cold, since, until, before, limit);
    }

    @Test
    void invocationQueriesFilterPageAndKeepTheTraceId() {
        NodeStoreTest.FakeClock clock = new NodeStoreTest.FakeClock(T0.plusSeconds(30));
        try (NodeStore store = NodeStore.open(dir, clock, Duration.ofDays(7), 300)) {
            List<InvocationRecord> all = IntStream.range(0, 12)
                    .mapToObj(i -> inv(i, i < 6 ? 1 : 2, i % 4 == 0 ? 500 : i % 4 == 1 ? 429 : 200, i % 5 == 0)).toList();
            all.forEach(store::record);
            store.flush();
            Optional<Instant> none = Optional.empty();
            record Row(String name, InvocationQuery query, List<Integer> expected) {
            }
            List<Row> table = List.of(
                    new Row("all", q(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), none, none,
                            Optional.empty(), 100), List.of(11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)),
                    new Row("function", q(Optional.of("team/c"), Optional.empty(), Optional.empty(), Optional.empty(), none,
                            none, Optional.empty(), 100), List.of(9, 6, 3, 0)),
                    new Row("version", q(Optional.empty(), Optional.of(1), Optional.empty(), Optional.empty(), none, none,
                            Optional.empty(), 3), List.of(5, 4, 3)),
                    new Row("status error", q(Optional.empty(), Optional.empty(), Optional.of("error"), Optional.empty(),
                            none, none, Optional.empty(), 100), List.of(9, 8, 5, 4, 1, 0)),
                    new Row("status 5xx", q(Optional.empty(), Optional.empty(), Optional.of("5xx"), Optional.empty(),
                            none, none, Optional.empty(), 100), List.of(8, 4, 0)),
                    new Row("status 429", q(Optional.empty(), Optional.empty(), Optional.of("429"), Optional.empty(),
                            none, none, Optional.empty(), 100), List.of(9, 5, 1)),
                    new Row("status ok", q(Optional.empty(), Optional.empty(), Optional.of("ok"), Optional.empty(),
                            none, none, Optional.empty(), 2), List.of(11, 10)),
                    new Row("cold", q(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(true), none, none,
                            Optional.empty(), 100), List.of(10, 5, 0)),
                    new Row("since/until", q(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                            Optional.of(T0.plusSeconds(3)), Optional.of(T0.plusSeconds(6)), Optional.empty(), 100),
                            List.of(5, 4, 3)),
                    new Row("trace", new InvocationQuery(Optional.empty(), Optional.empty(), Optional.empty(),
                            Optional.empty(), none, none, Optional.empty(), 3, Optional.of("0af7651916cd43dd8448eb211c80319c")),
                            List.of(10, 8, 6)),
                    new Row("page after 8", q(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), none,
                            none, Optional.of(InvocationQuery.Position.of(all.get(8))), 3), List.of(7, 6, 5)));
            for (Row row : table) {
                assertEquals(row.expected().stream().map(all::get).toList(), store.invocations(row.query()), row.name());
            }
            assertEquals("0af7651916cd43dd8448eb211c80319c", store.invocation(all.get(4).id()).orElseThrow().traceId());
        }
    }

    @Test
    void aBatchWrittenBeforeTraceIdsDecodesWithAnEmptyOne() {
        String line = "id1\tdefault/a\t2\t" + T0.toEpochMilli() + "\t1.5\t200\t1\tinst\t\texec=1.0\n";
        Deflater d = new Deflater();
        d.setInput(line.getBytes(StandardCharsets.UTF_8));
        d.finish();
        byte[] buf = new byte[1024];
        int n = d.deflate(buf);
        d.end();
        InvocationRecord r = InvocationCodec.decode(java.util.Arrays.copyOf(buf, n)).getFirst();
        assertEquals(new InvocationRecord("id1", "default/a", 2, T0, 1.5, 200, true, "inst", "",
                Map.of("exec", 1.0)), r);
        assertEquals("", r.traceId());
    }

    @Test
    void hostileStatusFiltersAreRefusedNamingWhatIsAllowed() {
        for (String s : List.of("", "200;DROP", "6xx", "99", "xx", "okay", "1000")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InvocationQuery.checkStatus(s), s);
            assertTrue(e.getMessage().contains("allowed"), e.getMessage());
        }
    }

    @Test
    void logsPageBackwardsAndFollowForwards() {
        NodeStoreTest.FakeClock clock = new NodeStoreTest.FakeClock(T0);
        try (NodeStore store = NodeStore.open(dir, clock, Duration.ofDays(7), 300)) {
            for (int i = 0; i < 10; i++) {
                store.log(new LogLine(T0.plusSeconds(i / 2), "default/a", 1, "inv" + (i % 3), "i", "info", "l" + i));
            }
            store.flush();
            LogQuery newest = new LogQuery(Optional.of("default/a"), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), 4);
            List<StoredLine> page = store.lines(newest);
            assertEquals(List.of("l9", "l8", "l7", "l6"), page.stream().map(l -> l.line().text()).toList());
            StoredLine last = page.getLast();
            LogQuery older = new LogQuery(Optional.of("default/a"), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.of(new LogQuery.Position(last.line().at(), last.seq())), Optional.empty(), 4);
            assertEquals(List.of("l5", "l4", "l3", "l2"), store.lines(older).stream().map(l -> l.line().text()).toList());
            LogQuery follow = new LogQuery(Optional.of("default/a"), Optional.of("inv0"), Optional.empty(),
                    Optional.empty(), Optional.empty(), Optional.of(page.get(3).seq() - 1), 100);
            assertEquals(List.of("l6", "l9"), store.lines(follow).stream().map(l -> l.line().text()).toList());
            assertEquals(page.getFirst().seq(), store.lastLineSeq());
        }
    }

    @Test
    void aboveTheSizeBoundTheOldestRowsGoFirst() {
        NodeStoreTest.FakeClock clock = new NodeStoreTest.FakeClock(T0);
        try (NodeStore store = NodeStore.open(dir, clock, Duration.ofDays(3650), 16 * 1024, 1024 * 1024)) {
            String text = "x".repeat(10_000);
            for (int hour = 0; hour < 200; hour++) {
                clock.advance(Duration.ofHours(1));
                store.log(new LogLine(clock.instant(), "default/a", 1, "inv" + hour, "i", "info", hour + " " + text));
                store.record(inv(hour, 1, 200, false));
                store.flush();
            }
            store.purge();
            List<StoredLine> kept = store.lines(new LogQuery(Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), Optional.empty(), 1000));
            assertTrue(kept.size() < 200 && kept.size() > 50, "kept " + kept.size());
            assertEquals("199", kept.getFirst().line().text().split(" ")[0], "the newest is kept");
            int oldestKept = Integer.parseInt(kept.getLast().line().text().split(" ")[0]);
            assertEquals(199 - kept.size() + 1, oldestKept, "only the oldest went");
        }
    }
}
