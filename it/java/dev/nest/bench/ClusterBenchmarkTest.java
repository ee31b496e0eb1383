package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster benchmark's section writer, run on a copy of docs/BENCHMARKS.md (no cluster is started). */
class ClusterBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void aRewriteKeepsTheRecordedCoverageLineAndTheOtherSections() throws IOException {
        String doc = Files.readString(Path.of("docs/BENCHMARKS.md"), StandardCharsets.UTF_8);
        Map<String, BenchBlock> before = BenchBlock.parseAll(doc);
        BenchBlock recorded = before.get(ClusterBenchmark.HEADING);
        assertTrue(recorded != null && !recorded.coverage().isEmpty(), "the doc's cluster block has its coverage line");
        // this run's rows as the parts write them (no "row " prefix), in the order the parts run, one figure changed
        List<String> rows = new ArrayList<>();
        for (BenchBlock.Row r : recorded.rows()) {
            String measured = r.order() == 230 ? "123 ms / 456 ms" : r.measured();
            rows.add(r.order() + " | " + r.promise() + " | " + r.target() + " | " + measured + " | " + r.command());
        }
        rows.addFirst(rows.removeLast()); // 240 (the scale part) first: the block is in row order anyway
        Path copy = ScratchDoc.in(dir).doc;
        String commit = BenchmarksDoc.commitLine(dir, false);
        assertTrue(commit.matches("[0-9a-f]{7,}"), "a git checkout names its commit: " + commit);
        String body = ClusterBenchmark.sectionBody("Measured now.\n\n### A table\n\n| figure | p50 |\n|---|---:|\n"
                + "| x | 1 ms |\n\n", rows);

        BenchmarksDoc.writeSection(copy, ClusterBenchmark.HEADING, body);

        Map<String, BenchBlock> after = BenchBlock.parseAll(Files.readString(copy, StandardCharsets.UTF_8));
        BenchBlock written = after.get(ClusterBenchmark.HEADING);
        assertEquals(recorded.coverage(), written.coverage(), "the hand-written unguarded line survives");
        assertEquals(List.of(), written.problems());
        assertEquals(recorded.rows().stream().map(BenchBlock.Row::order).toList(),
                written.rows().stream().map(BenchBlock.Row::order).toList());
        BenchBlock.Row deploy = written.rows().stream().filter(r -> r.order() == 230).findFirst().orElseThrow();
        assertEquals("123 ms / 456 ms", deploy.measured(), "this run's figure is written");
        before.forEach((heading, block) -> {
            if (!heading.equals(ClusterBenchmark.HEADING)) {
                assertEquals(block, after.get(heading), heading + " is untouched");
            }
        });
        String section = Files.readString(copy, StandardCharsets.UTF_8).split(ClusterBenchmark.HEADING, 2)[1];
        assertEquals(1, section.split("Commit: " + commit + "\\.", -1).length - 1, "the commit is named once");
        assertNotEquals(doc, Files.readString(copy, StandardCharsets.UTF_8));
    }

    @Test
    void aMalformedRowIsRefusedWithItsLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClusterBenchmark.block(List.of("230 | deploy | <= 1 s | 1 ms")));
        assertTrue(e.getMessage().contains("row 230 | deploy | <= 1 s | 1 ms"), e.getMessage());
    }
}
