package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * For tests of what a benchmark writes: a copy of the repository's docs/BENCHMARKS.md and README.md in a scratch git
 * repository (committed, so that a section names its commit), a section written into it as a benchmark writes it, and
 * the README's Specification table generated from it as {@code distribution/bench.sh --readme} generates it.
 */
final class ScratchDoc {
    final Path root;
    final Path doc;

    private ScratchDoc(Path root) {
        this.root = root;
        this.doc = root.resolve("docs/BENCHMARKS.md");
    }

    /** The copy in {@code dir}, committed. */
    static ScratchDoc in(Path dir) throws IOException {
        ScratchDoc s = new ScratchDoc(dir);
        Files.createDirectories(s.doc.getParent());
        Files.copy(Path.of("docs/BENCHMARKS.md"), s.doc);
        Files.copy(Path.of("README.md"), dir.resolve("README.md"));
        s.git("init", "-q");
        s.git("add", ".");
        s.git("-c", "user.name=bench", "-c", "user.email=bench@127.0.0.1", "commit", "-q", "-m", "copy");
        return s;
    }

    /** Writes section {@code heading} as a benchmark does and regenerates the README's table from the doc. */
    void write(String heading, String body) {
        BenchmarksDoc.writeSection(doc, heading, body);
        assertEquals(0, SpecTable.run(new String[] {"readme"}, root), "the README's table is generated from the doc");
    }

    Map<String, BenchBlock> blocks() throws IOException {
        return BenchBlock.parseAll(Files.readString(doc, StandardCharsets.UTF_8));
    }

    /**
     * Asserts what writing section {@code heading} with the rows {@code written} did: the README's table is the
     * one of the copy with exactly those rows' lines replaced, in place; the section kept its coverage lines and its
     * other rows; every other section's block is as it was.
     */
    void assertOnlyRowsChanged(Map<String, BenchBlock> before, List<String> tableBefore, String heading,
                               List<BenchBlock.Row> written) throws IOException {
        Map<String, BenchBlock> after = blocks();
        List<String> expected = new ArrayList<>(tableBefore);
        for (BenchBlock.Row r : written) {
            int at = expected.indexOf(tableLine(before, r.order()));
            if (at < 0) {
                throw new AssertionError("row " + r.order() + " is not in the README's table before the write");
            }
            expected.set(at, r.tableLine());
        }
        assertEquals(expected, readmeTable(), "the README's table has this run's rows and the recorded others");
        BenchBlock was = before.get(heading);
        BenchBlock now = after.get(heading);
        assertEquals(was.coverage(), now.coverage(), "the section's guard/unguarded lines are kept");
        assertEquals(List.of(), now.problems(), "every row of the section is covered once");
        assertEquals(was.rows().stream().map(BenchBlock.Row::order).toList(),
                now.rows().stream().map(BenchBlock.Row::order).toList(), "the section has the same rows");
        before.forEach((h, b) -> {
            if (!h.equals(heading)) {
                assertEquals(b, after.get(h), h + " is untouched");
            }
        });
    }

    /** The lines of the README's Specification table (header included). */
    List<String> readmeTable() throws IOException {
        String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        int b = readme.indexOf(SpecTable.BEGIN);
        int e = readme.indexOf(SpecTable.END);
        return readme.substring(b + SpecTable.BEGIN.length(), e).strip().lines().toList();
    }

    /** The README table's line of row {@code order} of {@code blocks}. */
    static String tableLine(Map<String, BenchBlock> blocks, int order) {
        return blocks.values().stream().flatMap(b -> b.rows().stream()).filter(r -> r.order() == order)
                .map(BenchBlock.Row::tableLine).findFirst().orElseThrow(() -> new AssertionError("no row " + order));
    }

    private void git(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("git", "-C", root.toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
