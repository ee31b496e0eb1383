package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI benchmark's README row 390 from fixed figures, its loopback-only target and its knobs. */
class CliBenchmarkTest {
    @TempDir
    Path dir;

    /** Four CLI runs (wall, CPU) and four floor runs, interleaved as the benchmark runs them. */
    private static CliBenchmark.Result result() {
        List<CliBenchmark.Sample> cli = new ArrayList<>();
        List<CliBenchmark.Sample> floor = new ArrayList<>();
        double[][] c = {{420, 250}, {480, 260}, {455, 240}, {610, 290}};
        double[][] f = {{110, 60}, {95, 50}, {120, 60}, {140, 70}};
        for (int i = 0; i < c.length; i++) {
            cli.add(new CliBenchmark.Sample(c[i][0], c[i][1]));
            floor.add(new CliBenchmark.Sample(f[i][0], f[i][1]));
        }
        return new CliBenchmark.Result(300, 3, cli, floor);
    }

    @Test
    void row390SaysWhatTheRunMeasured() {
        // mean 491.25, p50 (nearest rank) 455, max 610; CPU mean 260; floor p50 110, so 4.14x
        assertEquals("row 390 | `nest fn ls` wall time against a running node (300 functions on a loopback port, 4 runs"
                + " after 3 warm-ups) | <= 0.5 s | 491 ms mean, 455 ms p50, 610 ms max; 260 ms of CPU (mean); p50 4.1x a"
                + " bare JVM start (`java -version` with the CLI's JVM flags, 110 ms p50: the start every Java command"
                + " pays, no request) | `distribution/bench-cli.sh`",
                CliBenchmark.row(result(), "distribution/bench-cli.sh").line());
        CliBenchmark.Result slow = new CliBenchmark.Result(1200, 3, List.of(new CliBenchmark.Sample(1010, 640),
                new CliBenchmark.Sample(1200, 700)), List.of(new CliBenchmark.Sample(90, 50), new CliBenchmark.Sample(95, 60)));
        assertEquals("row 390 | `nest fn ls` wall time against a running node (1,200 functions on a loopback port, 2 runs"
                + " after 3 warm-ups) | <= 0.5 s | **1,105 ms mean**, 1,010 ms p50, 1,200 ms max; 670 ms of CPU (mean);"
                + " p50 11.2x a bare JVM start (`java -version` with the CLI's JVM flags, 90 ms p50: the start every Java"
                + " command pays, no request) | `distribution/bench-cli.sh`",
                CliBenchmark.row(slow, "distribution/bench-cli.sh").line(), "a mean over the target is in bold");
        BenchBlock.Ratio r = CliBenchmark.ratio(result());
        assertEquals("cli.fn-ls-over-jvm-version", r.id());
        assertEquals(455.0 / 110, r.value(), 1e-9);
        assertTrue(!r.higherIsBetter(), "a slower CLI is a larger ratio");
    }

    @Test
    void aRunRewritesRow390Only() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        BenchBlock.Row row = CliBenchmark.row(result(), "NEST_BENCH_RUNS=4 distribution/bench-cli.sh");
        s.write(CliBenchmark.HEADING, "Measured now.\n" + BenchBlock.tail(List.of(CliBenchmark.ratio(result())), List.of(row)));
        s.assertOnlyRowsChanged(before, table, CliBenchmark.HEADING, List.of(row));
        assertEquals(row.tableLine(), ScratchDoc.tableLine(s.blocks(), 390));
    }

    @Test
    void onlyALoopbackNodeIsATarget() {
        assertEquals("http://127.0.0.1:8080", CliBenchmark.loopbackTarget("http://127.0.0.1:8080"));
        assertEquals("http://127.1.2.3:9", CliBenchmark.loopbackTarget(" http://127.1.2.3:9/ "));
        for (String bad : List.of("http://10.0.0.1:8080", "http://192.168.1.5:80", "http://localhost:8080",
                "http://example.com:80", "https://127.0.0.1:8443", "http://127.0.0.1", "http://127.0.0.256:80",
                "http://user@127.0.0.1:80", "http://127.0.0.1:80/api", "http://127.0.0.1:80/?x=1", "http://[::1]:80",
                "http://0x7f.0.0.1:80", "http://127.0.0.1.evil.example:80", "ftp://127.0.0.1:21", "127.0.0.1:8080",
                "http://127.0.0.1:80#x", "not a url")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CliBenchmark.loopbackTarget(bad), bad);
            assertTrue(e.getMessage().contains("127"), e.getMessage());
        }
    }

    @Test
    void knobsAreWholeNumbersInRange() {
        assertEquals(30, CliBenchmark.knob("runs", "30", 1000));
        for (String bad : List.of("0", "-3", "1001", "3.5", "", "30; rm -rf /", "1e3")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CliBenchmark.knob("runs", bad, 1000), bad);
            assertTrue(e.getMessage().startsWith("runs must be"), e.getMessage());
        }
    }
}
