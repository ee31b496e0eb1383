package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpecTableTest {

    @Test
    void theReadmesSpecificationTableIsTheOneGeneratedFromTheBenchmarksDoc() throws IOException {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        String doc = Files.readString(Path.of("docs/BENCHMARKS.md"), StandardCharsets.UTF_8);
        assertEquals(SpecTable.rewrite(readme, SpecTable.table(BenchBlock.parseAll(doc))), readme,
                "README.md was edited by hand or docs/BENCHMARKS.md changed: run distribution/bench.sh --readme");
    }

    @ParameterizedTest(name = "{0}: recorded floor {1}, noise {2}, fresh {3} (noise {4}) -> regressed {5}")
    @CsvSource({
            "higher, 0.60, 0.05, 0.60, 0.00, false",
            "higher, 0.60, 0.05, 0.56, 0.00, false",
            "higher, 0.60, 0.05, 0.54, 0.00, true",
            "higher, 0.60, 0.05, 0.54, 0.10, false",
            "higher, 0.60, 0.00, 0.70, 0.00, false",
            "lower, 0.30, 0.10, 0.39, 0.00, false",
            "lower, 0.30, 0.10, 0.41, 0.00, true",
            "lower, 0.30, 0.10, 0.10, 0.00, false",
    })
    void aRatioRegressesOnlyBeyondTheLargerNoise(String direction, double floor, double noise, double fresh,
                                                 double freshNoise, boolean regressed) {
        boolean higher = direction.equals("higher");
        var recorded = Map.of("x", new BenchBlock.Ratio("x", floor, floor, noise, higher));
        var now = Map.of("x", new BenchBlock.Ratio("x", fresh, fresh, freshNoise, higher));
        List<SpecTable.Verdict> v = SpecTable.verdicts(recorded, now);
        assertEquals(1, v.size());
        assertEquals(regressed, v.getFirst().regressed(), v.getFirst().text());
    }

    @Test
    void ratiosMissingOnEitherSideAreReportedNotFailed() {
        var recorded = Map.of("old", new BenchBlock.Ratio("old", 1, 1, 0, true));
        var fresh = Map.of("new", new BenchBlock.Ratio("new", 1, 1, 0, true));
        List<SpecTable.Verdict> v = SpecTable.verdicts(recorded, fresh);
        assertEquals(2, v.size());
        assertTrue(v.stream().noneMatch(SpecTable.Verdict::regressed));
    }

    @Test
    void aBlockRoundTripsAndTheTableIsOrderedByRowNumber() {
        BenchBlock b = new BenchBlock(List.of(new BenchBlock.Ratio("warm.nodejs.t", 0.62, 0.6, 0.05, true)),
                List.of(new BenchBlock.Row(20, "second", ">= 1", "2", "`b`"), new BenchBlock.Row(10, "first", "", "1", "`a`")));
        String doc = "# B\n\n## One\n\ntext\n\n" + b.render() + "\n## Two\n\nnothing\n";
        Map<String, BenchBlock> all = BenchBlock.parseAll(doc);
        assertEquals(Map.of("## One", b), all);
        assertEquals(SpecTable.HEADER + "| first |  | 1 | `a` |\n| second | >= 1 | 2 | `b` |\n", SpecTable.table(all));
    }

    @Test
    void aRunsTailIsItsBlockInRowOrderAndARowWrittenTwiceIsRefused() {
        BenchBlock.Row b = BenchBlock.row(20, "second", ">= 1", "`b`", "%.1f ms (%,d)", 2.25, 12345);
        BenchBlock.Row a = BenchBlock.row(10, "first", "", "`a`", "%.0fx", 40.5);
        assertEquals("2.3 ms (12,345)", b.measured());
        assertEquals("41x", a.measured());
        assertEquals("", BenchBlock.tail(List.of(), List.of()));
        String tail = BenchBlock.tail(List.of(), List.of(b, a));
        assertEquals("\n" + new BenchBlock(List.of(), List.of(a, b)).render(), tail);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchBlock.tail(List.of(), List.of(a, b, BenchBlock.row(10, "again", "", "`a`", "1"))));
        assertTrue(e.getMessage().contains("row 10 is written twice"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "ratio x 0.5 floor 0.4 noise 0.1",
            "ratio x 0.5 floor 0.4 noise 0.1 sideways",
            "ratio x 0.5 limit 0.4 noise 0.1 higher",
            "ratio x 0.5 floor 0.4 noise -1 higher",
            "ratio X! 0.5 floor 0.4 noise 0.1 higher",
            "row 10 | a | b | c",
            "row ten | a | b | c | d",
            "guard 10",
            "guard 10 |",
            "guard ten | x",
            "guard | x",
            "unguarded 10 | a | b",
            "something else",
    })
    void aMalformedLineFailsNamingTheSectionAndTheLine(String line) {
        var e = assertThrows(IllegalArgumentException.class,
                () -> BenchBlock.parseAll("## S\n\n```nest-bench\n" + line + "\n```\n"));
        assertTrue(e.getMessage().contains("## S") && e.getMessage().contains(line.strip()), e.getMessage());
    }

    @Test
    void everyRowOfTheDocIsGuardedOrSaysWhyNot() throws IOException {
        String doc = Files.readString(Path.of("docs/BENCHMARKS.md"), StandardCharsets.UTF_8);
        assertEquals(List.of(), SpecTable.coverageProblems(BenchBlock.parseAll(doc)));
    }

    @Test
    void coverageLinesParseAndRoundTrip() {
        String text = """
                ```nest-bench
                ratio a.b 0.5000 floor 0.5000 noise 0.1000 higher
                row 10 | p | t | m | c
                row 20 | p2 | t | m | c
                guard 10 | a.b
                unguarded 20 | needs a cluster of three nodes
                ```
                """;
        BenchBlock b = BenchBlock.parseSection(text).orElseThrow();
        assertEquals(List.of(new BenchBlock.Coverage(List.of(10), List.of("a.b"), ""),
                new BenchBlock.Coverage(List.of(20), List.of(), "needs a cluster of three nodes")), b.coverage());
        assertEquals(List.of(), b.problems());
        assertEquals(b, BenchBlock.parseSection(b.render()).orElseThrow());
        assertEquals(List.of("row(s) 20 (x): needs a cluster of three nodes"),
                SpecTable.unguarded(BenchBlock.parseAll("## x\n" + text)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "a row nobody covers; row 10 | p | t | m | c; ; row 10 is neither guarded",
            "a row covered twice; row 10 | p | t | m | c; guard 10 | a.b\\nunguarded 10 | why; covered by 2",
            "a guard naming a ratio the block lacks; row 10 | p | t | m | c; guard 10 | c.d; names ratio c.d",
            "a line naming a row the block lacks; row 10 | p | t | m | c; guard 10 | a.b\\nunguarded 99 | why; names row 99",
    })
    void coverageProblemsAreNamed(String name, String row, String coverage, String expected) {
        String text = "```nest-bench\nratio a.b 0.5 floor 0.5 noise 0.1 higher\n" + row + "\n"
                + (coverage == null ? "" : coverage.replace("\\n", "\n") + "\n") + "```\n";
        List<String> problems = BenchBlock.parseSection(text).orElseThrow().problems();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().contains(expected), problems.getFirst());
    }

    @Test
    void aBenchmarksFreshBlockKeepsTheDocsCoverageLines() {
        BenchBlock recorded = new BenchBlock(List.of(new BenchBlock.Ratio("r", 0.7, 0.65, 0.02, true)),
                List.of(new BenchBlock.Row(1, "p", "t", "m", "c")),
                List.of(new BenchBlock.Coverage(List.of(1), List.of("r"), "")));
        BenchBlock fresh = new BenchBlock(List.of(new BenchBlock.Ratio("r", 0.5, 0.5, 0.03, true)),
                List.of(new BenchBlock.Row(1, "p", "t", "m2", "c")));
        BenchBlock after = BenchBlock.parseSection(BenchmarksDoc.keepRecorded("body\n\n" + fresh.render(), recorded))
                .orElseThrow();
        assertEquals(recorded.coverage(), after.coverage());
        assertEquals(List.of(), after.problems());
    }

    @Test
    void aFreshBlockOfRatiosOnlyKeepsTheDocsRowsAndCoverage() {
        BenchBlock recorded = new BenchBlock(List.of(new BenchBlock.Ratio("auth.t", 0.999, 0.999, 0.1, true)),
                List.of(new BenchBlock.Row(50, "p", "t", "m", "c")),
                List.of(new BenchBlock.Coverage(List.of(50), List.of("auth.t"), "")));
        BenchBlock fresh = new BenchBlock(List.of(new BenchBlock.Ratio("auth.t", 0.95, 0.95, 0.04, true)), List.of());
        BenchBlock after = BenchBlock.parseSection(BenchmarksDoc.keepRecorded("body\n\n" + fresh.render(), recorded))
                .orElseThrow();
        assertEquals(new BenchBlock(List.of(new BenchBlock.Ratio("auth.t", 0.95, 0.999, 0.04, true)), recorded.rows(),
                recorded.coverage()), after);
        assertEquals(List.of(), after.problems());
    }

    @Test
    void anUnclosedBlockFails() {
        assertThrows(IllegalArgumentException.class, () -> BenchBlock.parseAll("## S\n```nest-bench\nrow 1 | a | b | c | d\n"));
    }

    @Test
    void aBlockClosingTheSectionWithoutALineBreakStillKeepsTheRecordedCoverageLine() {
        BenchBlock recorded = BenchBlock.parseSection("```nest-bench\nrow 1 | p | t | m | c\n"
                + "unguarded 1 | an absolute time\n```\n").orElseThrow();
        String body = "Measured now.\n\nCommit: abc1234.\n\n```nest-bench\nrow 1 | p | t | m2 | c\n```";
        BenchBlock after = BenchBlock.parseSection(BenchmarksDoc.keepRecorded(body, recorded)).orElseThrow();
        assertEquals("m2", after.rows().getFirst().measured());
        assertEquals(recorded.coverage(), after.coverage(), "the doc's coverage line survives the rewrite");
    }

    @Test
    void writingASectionKeepsTheRecordedFloorsAndAHandMadeBlock() {
        BenchBlock recorded = new BenchBlock(List.of(new BenchBlock.Ratio("r", 0.7, 0.65, 0.02, true)),
                List.of(new BenchBlock.Row(1, "p", "t", "m", "c"), new BenchBlock.Row(2, "other", "", "x", "c")));
        BenchBlock fresh = new BenchBlock(List.of(new BenchBlock.Ratio("r", 0.5, 0.5, 0.03, true),
                new BenchBlock.Ratio("s", 2, 2, 0, false)), List.of(new BenchBlock.Row(1, "p", "t", "m2", "c")));
        String kept = BenchmarksDoc.keepRecorded("body\n\n" + fresh.render(), recorded);
        BenchBlock after = BenchBlock.parseSection(kept).orElseThrow();
        assertEquals(0.65, after.ratios().get(0).floor(), "a slower run does not lower the floor");
        assertEquals(0.5, after.ratios().get(0).value());
        assertEquals(2, after.ratios().get(1).floor(), "a new ratio's floor is its value");
        assertEquals("m2", after.rows().getFirst().measured());
        assertEquals(List.of(1, 2), after.rows().stream().map(BenchBlock.Row::order).toList(),
                "a row the run does not write is kept");

        String noBlock = BenchmarksDoc.keepRecorded("body only", recorded);
        assertEquals(recorded, BenchBlock.parseSection(noBlock).orElseThrow());
    }

    @Test
    void aSectionNamesItsCommitAfterItsFirstParagraph() {
        assertEquals("Measured now.\n\nCommit: abc1234.\n\n| t |", BenchmarksDoc.withCommit("Measured now.\n\n| t |", "abc1234"));
        assertEquals("One line\n\nCommit: abc1234.\n", BenchmarksDoc.withCommit("One line", "abc1234"));
        assertEquals("Measured now.\n\nCommit: abc1234.\n\n```nest-bench\n```\n",
                BenchmarksDoc.withCommit("Measured now.\n\n```nest-bench\n```\n", "abc1234"));
    }
}
