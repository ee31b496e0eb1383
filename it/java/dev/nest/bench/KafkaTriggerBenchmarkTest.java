package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Kafka trigger benchmark's README row, rendered from fixed figures and written into a copy of the doc. */
class KafkaTriggerBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void row305SaysWhatTheTableSays() {
        List<Double> lag = List.of(462.0, 92.0, 50.0, 100.0, 80.0);
        assertEquals(List.of("row 305 | Kafka trigger at 1,000 records/s: produce to the function's start, p50 / p99;"
                        + " records lost (one broker, 20 s) |  | 92 ms / 462 ms; 0 of 20,000 |"
                        + " `distribution/bench-kafka-trigger.sh`"),
                KafkaTriggerBenchmark.rows(1000, 1, 20, lag, 0, 20_000, "distribution/bench-kafka-trigger.sh").stream()
                        .map(BenchBlock.Row::line).toList());
        assertEquals(List.of(), KafkaTriggerBenchmark.rows(1000, 1, 20, List.of(), 0, 0, "x"), "no record, no row");
    }

    @Test
    void aRunRewritesRow305AndNothingElse() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        List<BenchBlock.Row> rows = KafkaTriggerBenchmark.rows(500, 3, 60, List.of(10.0, 20.0, 900.0), 2, 30_000,
                "NEST_BENCH_SECONDS=60 distribution/bench-kafka-trigger.sh");
        s.write(KafkaTriggerBenchmark.HEADING, "Measured now.\n" + BenchBlock.tail(List.of(), rows));
        s.assertOnlyRowsChanged(before, table, KafkaTriggerBenchmark.HEADING, rows);
        assertEquals("| Kafka trigger at 500 records/s: produce to the function's start, p50 / p99; records lost (3 "
                + "brokers, 60 s) |  | 20 ms / 900 ms; 2 of 30,000 | `NEST_BENCH_SECONDS=60 "
                + "distribution/bench-kafka-trigger.sh` |", ScratchDoc.tableLine(s.blocks(), 305));
    }
}
