package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The canary rollback benchmark's README row, rendered from fixed figures and written into a copy of the doc. */
class CanaryRollbackBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void row180SaysWhatTheTableSays() {
        // ten rounds, unsorted, whose p50 and max are the series row 180 was first written from by hand
        List<Double> crossing = List.of(503.0, 230.0, 248.0, 200.0, 260.0, 210.0, 270.0, 220.0, 290.0, 280.0);
        List<Double> decision = List.of(0.0, 87.0, 0.0, 10.0, 0.0, 20.0, 0.0, 30.0, 0.0, 40.0);
        assertEquals(List.of("row 180 | failing canary, two nodes: threshold crossing to rollback in force on every node"
                        + " / decision to rollback in force on every node, p50 (max) of 10 rounds | interval + 1 s / 500 ms"
                        + " | 248 ms (503 ms) / 0 ms (87 ms) | `distribution/bench-canary.sh`"),
                CanaryRollbackBenchmark.rows(10, crossing, decision).stream().map(BenchBlock.Row::line).toList());
        assertEquals(List.of(), CanaryRollbackBenchmark.rows(0, List.of(), List.of()), "no rounds, no row");
    }

    @Test
    void aRunRewritesRow180AndNothingElse() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        List<BenchBlock.Row> rows = CanaryRollbackBenchmark.rows(3, List.of(300.0, 310.0, 900.0), List.of(5.0, 0.0, 1.0));
        s.write(CanaryRollbackBenchmark.HEADING, "Measured now.\n" + BenchBlock.tail(List.of(), rows));
        s.assertOnlyRowsChanged(before, table, CanaryRollbackBenchmark.HEADING, rows);
        assertEquals("310 ms (900 ms) / 1 ms (5 ms)", rows.getFirst().measured());
        assertEquals(rows.getFirst().tableLine(), ScratchDoc.tableLine(s.blocks(), 180));
    }
}
