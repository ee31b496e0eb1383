package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cron benchmark's README row, rendered from fixed figures and written into a copy of the doc. */
class CronBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void row300SaysWhatTheTableSays() {
        List<Double> jitter = List.of(103.0, 63.0, 40.0, 70.0, 50.0);
        assertEquals(List.of("row 300 | cron tick jitter: function start minus scheduled time, p50 / p99 (a trigger every"
                        + " second, one node, async path; ticks fired twice) |  | 63 ms / 103 ms (0 twice) |"
                        + " `distribution/bench-cron.sh`"),
                CronBenchmark.rows(jitter, 0, "distribution/bench-cron.sh").stream().map(BenchBlock.Row::line).toList());
        assertEquals(List.of(), CronBenchmark.rows(List.of(), 0, "distribution/bench-cron.sh"), "no tick, no row");
    }

    @Test
    void aRunRewritesRow300AndNothingElse() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        List<BenchBlock.Row> rows = CronBenchmark.rows(List.of(20.0, 30.0, 400.0), 1,
                "NEST_BENCH_SECONDS=60 distribution/bench-cron.sh");
        s.write(CronBenchmark.HEADING, "Measured now.\n" + BenchBlock.tail(List.of(), rows));
        s.assertOnlyRowsChanged(before, table, CronBenchmark.HEADING, rows);
        assertEquals("| cron tick jitter: function start minus scheduled time, p50 / p99 (a trigger every second, one "
                + "node, async path; ticks fired twice) |  | 30 ms / 400 ms (1 twice) | `NEST_BENCH_SECONDS=60 "
                + "distribution/bench-cron.sh` |", ScratchDoc.tableLine(s.blocks(), 300));
    }
}
