package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.it.AsyncDurabilityRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The async (H2 queue) benchmark's README rows, rendered from fixed figures and written into a copy of the doc. */
class AsyncBenchmarkTest {
    @TempDir
    Path dir;

    private static AsyncDurabilityRun.Result durable(int acknowledged, int executed, int duplicates, int lost, int kills) {
        return new AsyncDurabilityRun.Result(acknowledged, executed, duplicates, lost, 7, kills, 635, 28.3, 22.7, List.of(),
                List.of());
    }

    @Test
    void rows310And330SayWhatTheTableSays() {
        assertEquals(List.of(
                "row 310 | async invocation (`h2` queue) at idle: request sent to the function's start, p50 / p99; the 202"
                        + " p50 | <= 20 ms p50 | 9 ms / 21 ms; 7.5 ms | `distribution/bench-async.sh`",
                "row 330 | async durability, `h2`: 10,000 acknowledged invocations, node `kill -9`ed three times: executed"
                        + " / duplicates / lost | lost 0 | 10,000 / 10 / **0** | `distribution/bench-async.sh`"),
                AsyncBenchmark.rows(List.of(21.0, 9.0, 5.0), List.of(7.5, 19.7, 3.0), durable(10_000, 10_000, 10, 0, 3),
                        "distribution/bench-async.sh").stream().map(BenchBlock.Row::line).toList());
    }

    @Test
    void aRunRewritesRows310And330AndKeepsRow320() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        List<BenchBlock.Row> rows = AsyncBenchmark.rows(List.of(12.0, 30.0), List.of(8.0, 9.0),
                durable(2_000, 1_998, 0, 2, 2), "NEST_BENCH_INVOCATIONS=2000 distribution/bench-async.sh");
        s.write(AsyncBenchmark.HEADING, "Measured now.\n" + BenchBlock.tail(List.of(), rows));
        s.assertOnlyRowsChanged(before, table, AsyncBenchmark.HEADING, rows);
        assertEquals("| async durability, `h2`: 2,000 acknowledged invocations, node `kill -9`ed twice: executed / "
                + "duplicates / lost | lost 0 | 1,998 / 0 / **2** | `NEST_BENCH_INVOCATIONS=2000 distribution/bench-async.sh` |",
                ScratchDoc.tableLine(s.blocks(), 330));
        assertEquals(ScratchDoc.tableLine(before, 320), ScratchDoc.tableLine(s.blocks(), 320), "row 320 is kept");
    }
}
