package dev.nest.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Batches decode to the records encoded, whatever their text holds, with one encoder reused across batches. */
class InvocationCodecTest {
    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");

    private static InvocationRecord rec(String id, String fn, String instance, String error, String phase, String trace) {
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put("queue", 0.004);
        phases.put(phase, 1.0 / 3);
        return new InvocationRecord(id, fn, 3, T0.plusMillis(17), 0.1 + 0.2, 502, true, instance, error, phases, trace);
    }

    @Test
    void everyTextFieldRoundTripsEscapedOrPlain() {
        record Row(String name, InvocationRecord record) {
        }
        List<Row> table = List.of(
                new Row("plain", rec("0000018f3a2b4c5d1", "default/a", "i-1", "", "exec", "0af7651916cd43dd8448eb211c80319c")),
                new Row("tab and newline", rec("id\t1", "ns/f\nx", "i\r2", "boom\tat\nline", "exec", "")),
                new Row("separators", rec("a;b=c", "ns/f", "i", "x=1;y=2", "ph;a=se", "t")),
                new Row("backslashes", rec("\\", "ns\\f", "i\\t", "C:\\path\\n", "e\\s", "\\e")),
                new Row("unicode", rec("ünï", "ns/ƒ", "ïnst", "错误 — ☃", "exec", "")),
                new Row("empty", rec("", "", "", "", "exec", "")));
        try (InvocationCodec.Encoder encoder = new InvocationCodec.Encoder()) {
            for (Row row : table) {
                assertEquals(List.of(row.record()), InvocationCodec.decode(encoder.encode(List.of(row.record()))),
                        row.name());
            }
            List<InvocationRecord> all = table.stream().map(Row::record).toList();
            assertEquals(all, InvocationCodec.decode(encoder.encode(all)), "all in one batch");
            assertEquals(all, InvocationCodec.decode(InvocationCodec.encode(all)), "the one-off encoder");
        }
    }

    @Test
    void aReusedEncoderGrowsForLargeBatchesAndStaysCorrectForSmallOnesAfter() {
        List<InvocationRecord> large = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            // varied text compresses badly: the output buffer must grow several times
            large.add(rec(Long.toHexString(i * 0x9E3779B97F4A7C15L), "ns/f" + i % 7, "i-" + Integer.toHexString(i * 31),
                    i % 5 == 0 ? "error " + Long.toString(i * 0xBF58476D1CE4E5B9L, 36) : "", "exec", ""));
        }
        List<InvocationRecord> small = List.of(rec("x", "ns/g", "i", "", "exec", ""));
        try (InvocationCodec.Encoder encoder = new InvocationCodec.Encoder()) {
            assertEquals(small, InvocationCodec.decode(encoder.encode(small)));
            assertEquals(large, InvocationCodec.decode(encoder.encode(large)));
            assertEquals(small, InvocationCodec.decode(encoder.encode(small)));
        }
    }

    @Test
    void errorsLongerThanTheLimitAreCut() {
        InvocationRecord r = rec("id", "ns/f", "i", "e".repeat(2500), "exec", "");
        InvocationRecord back = InvocationCodec.decode(InvocationCodec.encode(List.of(r))).getFirst();
        assertEquals("e".repeat(1999) + "…", back.error());
    }

    @Test
    void theFunctionsOfABatchAreSortedAndUnique() {
        record Row(List<String> functions, List<String> expected) {
        }
        for (Row row : List.of(new Row(List.of("a/x"), List.of("a/x")),
                new Row(List.of("a/x", "a/x", "a/x"), List.of("a/x")),
                new Row(List.of("b/y", "a/x", "b/y", "c/z", "a/x"), List.of("a/x", "b/y", "c/z")))) {
            List<InvocationRecord> batch = row.functions().stream().map(f -> rec("id", f, "i", "", "exec", "")).toList();
            assertEquals(row.expected(), List.copyOf(WriterStatements.functions(batch)), row.functions().toString());
        }
    }
}
