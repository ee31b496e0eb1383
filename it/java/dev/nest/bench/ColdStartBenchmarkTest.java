package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cold-start benchmark's README rows, rendered from fixed figures and written into a copy of the doc. */
class ColdStartBenchmarkTest {
    @TempDir
    Path dir;

    private static final double NAN = Double.NaN;

    /** The figures of the process driver's tables that rows 80 to 130 were first written from by hand. */
    private static Map<String, ColdStartBenchmark.CaseFigures> processFigures() {
        Map<String, ColdStartBenchmark.CaseFigures> m = new LinkedHashMap<>();
        m.put(ColdStartBenchmark.key("nodejs", 1), new ColdStartBenchmark.CaseFigures(13.8, 53.1, 261.3, 562.4));
        m.put(ColdStartBenchmark.key("nodejs", 50), new ColdStartBenchmark.CaseFigures(9.3, 12.5, 161.8, 423.0));
        m.put(ColdStartBenchmark.key("java", 1), new ColdStartBenchmark.CaseFigures(25.5, 37.3, 309.2, 422.4));
        m.put(ColdStartBenchmark.key("java", 50), new ColdStartBenchmark.CaseFigures(24.1, 32.9, 279.3, 429.5));
        return m;
    }

    private static List<String> lines(List<BenchBlock.Row> rows) {
        return rows.stream().map(BenchBlock.Row::line).toList();
    }

    @Test
    void theProcessDriversRowsSayWhatItsTableSays() {
        assertEquals(List.of(
                "row 80 | cold start from a warm-pool pod, end to end p50 / p99 (Node.js, 1 MiB package, `process` driver)"
                        + " | <= 30 ms / <= 80 ms | 13.8 ms / 53.1 ms (50 MiB: 9.3 ms / 12.5 ms) | `distribution/bench-coldstart.sh`",
                "row 90 | same for Java (1 MiB / 50 MiB), p50 |  | 25.5 ms / 24.1 ms | `distribution/bench-coldstart.sh`",
                "row 120 | pool-hit cold start (`process` driver, no container) vs. `docker run` of the same image with the"
                        + " code mounted, p50 (Node.js 1 MiB): not like for like, see the `docker` and `containerd` rows for"
                        + " that |  | 41x (13.8 ms vs 562 ms; Java 17x) | `distribution/bench-coldstart.sh`",
                "row 130 | pool-hit cold start vs. a new pod with the pool off, p50 (Node.js / Java, 1 MiB) |  | 19x / 12x"
                        + " faster | `distribution/bench-coldstart.sh`"),
                lines(ColdStartBenchmark.rows("process", processFigures())));
    }

    @Test
    void theDockerDriversRowSaysWhatItsTableSays() {
        Map<String, ColdStartBenchmark.CaseFigures> m = new LinkedHashMap<>();
        m.put(ColdStartBenchmark.key("nodejs", 1), new ColdStartBenchmark.CaseFigures(10.0, 16.7, 376.9, 405.2));
        m.put(ColdStartBenchmark.key("nodejs", 50), new ColdStartBenchmark.CaseFigures(8.2, 14.8, 359.2, 357.1));
        m.put(ColdStartBenchmark.key("java", 1), new ColdStartBenchmark.CaseFigures(23.4, 40.2, 502.7, 429.2));
        assertEquals(List.of("row 100 | same, `docker` driver, p50 / p99 (Node.js 1 MiB; 50 MiB; Java 1 MiB); vs."
                        + " `docker run` | <= 30 ms / <= 80 ms; >= 10x | 10.0 ms / 16.7 ms; 8.2 ms / 14.8 ms; 23.4 ms /"
                        + " 40.2 ms; 41x (405 ms) | `distribution/bench-coldstart.sh docker`"),
                lines(ColdStartBenchmark.rows("docker", m)));
        // without the docker run baseline the row cannot be written whole: it is left to the recorded one
        m.put(ColdStartBenchmark.key("nodejs", 1), new ColdStartBenchmark.CaseFigures(10.0, 16.7, 376.9, NAN));
        assertEquals(List.of(), ColdStartBenchmark.rows("docker", m));
        assertEquals(List.of(), ColdStartBenchmark.rows("containerd", processFigures()), "containerd has no README row");
    }

    @Test
    void theFetchedRowSaysWhatItsTableSays() {
        Map<Integer, ColdStartBenchmark.FetchedFigures> f = Map.of(1, new ColdStartBenchmark.FetchedFigures(39.3, 10.04,
                0.0, 2.59), 50, new ColdStartBenchmark.FetchedFigures(78.4, 45.46, 0.06, 17.40));
        assertEquals(List.of("row 140 | pool-hit cold start whose code a peer holds (process driver, Node.js 1 MiB / 50"
                        + " MiB), p50, and its fetch / decompress / unpack medians |  | 39.3 ms (10.0 / 0.00 / 2.6 ms) /"
                        + " 78.4 ms (45.5 / 0.06 / 17.4 ms) | `distribution/bench-coldstart.sh -Dnest.bench.fetched=only`"),
                lines(ColdStartBenchmark.fetchedRows("process", f)));
        assertEquals(List.of(), ColdStartBenchmark.fetchedRows("docker", f), "row 140 is the process driver's");
        assertEquals(List.of(), ColdStartBenchmark.fetchedRows("process", Map.of(1, f.get(1))), "both sizes or none");
        assertEquals(List.of(), ColdStartBenchmark.fetchedRows("process", Map.of(1, f.get(1), 50,
                new ColdStartBenchmark.FetchedFigures(70.0, 40.0, NAN, 15.0))), "a phase not recorded, no row");
    }

    @Test
    void aFullProcessRunRewritesItsFourRowsAndKeepsEveryOther() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        Map<String, ColdStartBenchmark.CaseFigures> m = processFigures();
        m.put(ColdStartBenchmark.key("nodejs", 1), new ColdStartBenchmark.CaseFigures(11.1, 44.4, 222.2, 666.6));
        List<BenchBlock.Row> rows = ColdStartBenchmark.rows("process", m);
        assertEquals(List.of(80, 90, 120, 130), rows.stream().map(BenchBlock.Row::order).toList());
        String heading = ColdStartBenchmark.heading("process");

        s.write(heading, "Measured now.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n" + BenchBlock.tail(List.of(
                new BenchBlock.Ratio("coldstart.process.nodejs.1mib.hit-over-new-pod", 0.05, 0.05, 0.01, false)), rows));

        s.assertOnlyRowsChanged(before, table, heading, rows);
        assertEquals("| cold start from a warm-pool pod, end to end p50 / p99 (Node.js, 1 MiB package, `process` driver) "
                + "| <= 30 ms / <= 80 ms | 11.1 ms / 44.4 ms (50 MiB: 9.3 ms / 12.5 ms) | `distribution/bench-coldstart.sh` |",
                ScratchDoc.tableLine(s.blocks(), 80));
        assertEquals("60x (11.1 ms vs 667 ms; Java 17x)", row(s, 120).measured());
        assertNotEquals(table, s.readmeTable());
    }

    @Test
    void aRunOfNodeJsAloneRewritesRow80AndKeepsTheRowsItDidNotMeasure() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        Map<String, ColdStartBenchmark.CaseFigures> m = new LinkedHashMap<>();
        m.put(ColdStartBenchmark.key("nodejs", 1), new ColdStartBenchmark.CaseFigures(12.0, 30.0, 250.0, NAN));
        m.put(ColdStartBenchmark.key("nodejs", 50), new ColdStartBenchmark.CaseFigures(9.0, 11.0, 160.0, NAN));
        List<BenchBlock.Row> rows = ColdStartBenchmark.rows("process", m);
        assertEquals(List.of(80), rows.stream().map(BenchBlock.Row::order).toList());
        String heading = ColdStartBenchmark.heading("process");

        s.write(heading, "Measured now.\n" + BenchBlock.tail(List.of(), rows));

        s.assertOnlyRowsChanged(before, table, heading, rows);
        for (int kept : List.of(90, 120, 130)) {
            assertEquals(row(before, kept), row(s, kept), "row " + kept + " is kept as recorded");
        }
    }

    @Test
    void aDockerRunWithoutItsBaselineKeepsRow100AndAFetchedRunWritesRow140() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        String docker = ColdStartBenchmark.heading("docker");
        s.write(docker, "Measured now.\n" + BenchBlock.tail(List.of(new BenchBlock.Ratio(
                "coldstart.docker.nodejs.1mib.hit-over-new-pod", 0.03, 0.03, 0.01, false)), List.of()));
        s.assertOnlyRowsChanged(before, table, docker, List.of());
        assertEquals(row(before, 100), row(s, 100));

        Map<String, BenchBlock> beforeFetched = s.blocks();
        List<BenchBlock.Row> rows = ColdStartBenchmark.fetchedRows("process", Map.of(
                1, new ColdStartBenchmark.FetchedFigures(35.0, 9.0, 0.01, 2.0),
                50, new ColdStartBenchmark.FetchedFigures(70.0, 40.0, 0.05, 15.0)));
        String fetched = ColdStartBenchmark.fetchedHeading("process");
        s.write(fetched, "Measured now.\n" + BenchBlock.tail(List.of(), rows));
        s.assertOnlyRowsChanged(beforeFetched, table, fetched, rows);
        assertEquals("35.0 ms (9.0 / 0.01 / 2.0 ms) / 70.0 ms (40.0 / 0.05 / 15.0 ms)", row(s, 140).measured());
    }

    private static BenchBlock.Row row(ScratchDoc s, int order) throws IOException {
        return row(s.blocks(), order);
    }

    private static BenchBlock.Row row(Map<String, BenchBlock> blocks, int order) {
        return blocks.values().stream().flatMap(b -> b.rows().stream()).filter(r -> r.order() == order).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + order));
    }
}
