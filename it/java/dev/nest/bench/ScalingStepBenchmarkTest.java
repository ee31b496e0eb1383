package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The step benchmark's section writer, run on a copy of docs/BENCHMARKS.md in a scratch git repository. */
class ScalingStepBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void theRowsAreRenderedFromTheRunAndTheRecordedCoverageLineIsKept() throws IOException {
        String doc = Files.readString(Path.of("docs/BENCHMARKS.md"), StandardCharsets.UTF_8);
        Map<String, BenchBlock> before = BenchBlock.parseAll(doc);
        BenchBlock recorded = before.get(ScalingStepBenchmark.HEADING);
        assertTrue(recorded != null && !recorded.coverage().isEmpty(), "the doc's step block has its coverage line");
        Path copy = ScratchDoc.in(dir).doc;
        List<BenchBlock.Row> rows = ScalingStepBenchmark.rows(0.42, 1.87, 11, 0.6, 0.05, 0.4, 0.42, 230, 12, 180, 0, 2,
                15, 17);
        String body = ScalingStepBenchmark.sectionBody("Measured now.\n\n| figure | value | target |\n|---|---:|---|\n"
                + "| x | 1 s | |\n", rows);

        BenchmarksDoc.writeSection(copy, ScalingStepBenchmark.HEADING, body);

        Map<String, BenchBlock> after = BenchBlock.parseAll(Files.readString(copy, StandardCharsets.UTF_8));
        BenchBlock written = after.get(ScalingStepBenchmark.HEADING);
        assertEquals(recorded.coverage(), written.coverage(), "the hand-written unguarded line survives");
        assertEquals(List.of(), written.problems());
        assertEquals(List.of(340, 350, 360), written.rows().stream().map(BenchBlock.Row::order).toList());
        assertEquals(recorded.rows().stream().map(BenchBlock.Row::promise).toList(),
                written.rows().stream().map(BenchBlock.Row::promise).toList(), "the promises read as recorded");
        assertEquals("0.42 s", written.rows().get(0).measured());
        assertTrue(written.rows().get(1).measured().startsWith("1.87 s: the increase to 11 was asked for 0.6 s into"
                + " the step"), written.rows().get(1).measured());
        assertEquals("0 (2 scale events in one direction, desired 15..17)", written.rows().get(2).measured());
        before.forEach((heading, block) -> {
            if (!heading.equals(ScalingStepBenchmark.HEADING)) {
                assertEquals(block, after.get(heading), heading + " is untouched");
            }
        });
    }

    @Test
    void aMissedTargetIsBoldAndReversalsAreCounted() {
        List<BenchBlock.Row> rows = ScalingStepBenchmark.rows(0.55, 6.53, 14, 6.1, 0.06, 0.43, 0.55, 516, 12, 180, 2,
                5, 14, 17);
        assertTrue(rows.get(1).measured().startsWith("**6.53 s**: the increase to 14 was asked for 6.1 s"),
                rows.get(1).measured());
        assertEquals("2 (5 scale events, desired 14..17)", rows.get(2).measured());
    }

    @Test
    void theLiveReplayRowIsRenderedFromItsRunAndKeepsItsCoverageLine() throws IOException {
        String doc = Files.readString(Path.of("docs/BENCHMARKS.md"), StandardCharsets.UTF_8);
        BenchBlock recorded = BenchBlock.parseAll(doc).get(LiveReplayBenchmark.HEADING);
        Path copy = ScratchDoc.in(dir).doc;
        BenchBlock.Row row = LiveReplayBenchmark.row(50, 10, 2.345, 8.04, 180);
        BenchmarksDoc.writeSection(copy, LiveReplayBenchmark.HEADING,
                ScalingStepBenchmark.sectionBody("Measured now.\n\n| figure | value |\n|---|---:|\n| x | 1 |\n", List.of(row)));
        BenchBlock written = BenchBlock.parseAll(Files.readString(copy, StandardCharsets.UTF_8)).get(LiveReplayBenchmark.HEADING);
        assertEquals(recorded.coverage(), written.coverage());
        assertEquals(List.of(), written.problems());
        assertEquals(recorded.rows().getFirst().promise(), written.rows().getFirst().promise());
        assertEquals("2.3%, 8.0% (3-minute run: the real-time 20-minute scale-down delay keeps what a burst started)",
                written.rows().getFirst().measured());
    }
}
