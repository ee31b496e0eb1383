package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The usage benchmark's README row, rendered from fixed figures and written into a copy of the doc. */
class UsageBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void row150SaysWhatTheTableSays() {
        // the steady read p50s (µs) of the series row 150 was first written from by hand
        Map<String, Double> share = new LinkedHashMap<>();
        share.put("docker", UsageBenchmark.sharePercent(58.1));
        share.put("process", UsageBenchmark.sharePercent(188.3));
        share.put("containerd", UsageBenchmark.sharePercent(56.1));
        assertEquals(List.of("row 150 | CPU and memory sampling of 100 pods each second (process / docker / containerd)"
                        + " |  | 1.9% / 0.6% / 0.6% of a core | `distribution/bench-usage.sh`"),
                UsageBenchmark.rows(share, "distribution/bench-usage.sh").stream().map(BenchBlock.Row::line).toList());
    }

    @Test
    void aFullRunRewritesRow150AndARunOfFewerDriversKeepsIt() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        List<BenchBlock.Row> none = UsageBenchmark.rows(Map.of("process", 2.5), "NEST_BENCH_DRIVERS=process "
                + "distribution/bench-usage.sh");
        assertEquals(List.of(), none, "a row is written whole from one run or not at all");
        s.write(UsageBenchmark.HEADING, "Measured now.\n" + BenchBlock.tail(List.of(), none));
        s.assertOnlyRowsChanged(before, table, UsageBenchmark.HEADING, List.of());

        List<BenchBlock.Row> rows = UsageBenchmark.rows(Map.of("process", 2.54, "docker", 0.71, "containerd", 0.449),
                "distribution/bench-usage.sh");
        s.write(UsageBenchmark.HEADING, "Measured now.\n" + BenchBlock.tail(List.of(), rows));
        s.assertOnlyRowsChanged(before, table, UsageBenchmark.HEADING, rows);
        assertEquals("| CPU and memory sampling of 100 pods each second (process / docker / containerd) |  | 2.5% / 0.7% "
                + "/ 0.4% of a core | `distribution/bench-usage.sh` |", ScratchDoc.tableLine(s.blocks(), 150));
    }
}
