package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deploy and rollback benchmark's README rows, rendered from fixed figures and written into a copy of the doc. */
class RollbackBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void rows160And170SayWhatTheTableSays() {
        assertEquals(List.of(
                "row 160 | deploy to invocable on the node: `POST .../versions` answered / answered and the first request"
                        + " served by the new version, p50 (p99) of 2 deploys | < 1 s | 29 ms (135 ms) / 74 ms (736 ms) |"
                        + " `distribution/bench-rollback.sh`",
                "row 170 | rollback answered / answered and the next request served by the old version, p50 (p99) of 3"
                        + " rollbacks | well under 1 s | 35 ms (436 ms) / 49 ms (452 ms) | `distribution/bench-rollback.sh`"),
                RollbackBenchmark.rows(List.of(29.0, 135.0), List.of(74.0, 736.0), List.of(20.0, 35.0, 436.0),
                        List.of(30.0, 49.0, 452.0)).stream().map(BenchBlock.Row::line).toList());
    }

    @Test
    void aRollbackRunRewritesRows160And170AndNothingElse() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        List<BenchBlock.Row> rows = RollbackBenchmark.rows(List.of(10.0), List.of(20.0), List.of(30.0), List.of(40.0));
        s.write(RollbackBenchmark.HEADING, "Measured now.\n" + BenchBlock.tail(List.of(), rows));
        s.assertOnlyRowsChanged(before, table, RollbackBenchmark.HEADING, rows);
        assertEquals("30 ms (30 ms) / 40 ms (40 ms)", ScratchDoc.tableLine(s.blocks(), 170).split(" \\| ")[2]);
    }
}
