package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token-check benchmark's README row, rendered from fixed figures and written into a copy of the doc. */
class AuthBenchmarkTest {
    @TempDir
    Path dir;

    /** The rounds of the series row 50 was first written from (throughput lost in percent, sorted). */
    private static final List<Double> ROUNDS = List.of(-5.1, -4.2, 0.1, 3.0, 3.9, 4.9);

    @Test
    void row50SaysWhatTheTableSays() {
        assertEquals("row 50 | warm throughput lost to token checks: an `auth: token` function vs. the same handler"
                        + " `auth: public`, alternating runs | <= 2% | 0.1% (median of 6 alternating rounds; rounds spread"
                        + " -5% to +5%; 23.6k vs 23.6k req/s, Node.js, 16 connections) | `distribution/bench-auth.sh`",
                AuthBenchmark.row(ROUNDS, 23648, 23614, 16).line());
    }

    @Test
    void aRunRewritesRow50AndKeepsItsGuard() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        List<BenchBlock.Row> rows = List.of(AuthBenchmark.row(List.of(1.0, 1.5, 2.5), 20_000, 20_300, 32));
        s.write(AuthBenchmark.SECTION, "Measured now.\n" + BenchBlock.tail(List.of(new BenchBlock.Ratio(
                AuthBenchmark.RATIO, 0.985, 0.985, 0.015, true)), rows));
        s.assertOnlyRowsChanged(before, table, AuthBenchmark.SECTION, rows);
        assertEquals("1.5% (median of 3 alternating rounds; rounds spread +1% to +3%; 20.0k vs 20.3k req/s, Node.js, 32 "
                + "connections)", ScratchDoc.tableLine(s.blocks(), 50).split(" \\| ")[2]);
    }
}
