package dev.nest.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one {@code ## ...} section of {@code docs/BENCHMARKS.md}: the section with the same heading is replaced
 * (up to the next {@code ## } heading), other sections are kept as they are, a missing section is appended and a
 * missing file is created. The file is replaced atomically.
 *
 * <p>Every section names the commit it measured: a body that does not mention the repository's {@code HEAD} (short
 * hash) gets a line {@code Commit: <hash>.} after its first paragraph. A checkout with uncommitted changes to tracked
 * files (other than the benchmarks' output, docs/BENCHMARKS.md and README.md) is refused (the figures would belong to no commit) unless {@code NEST_BENCH_ALLOW_DIRTY=1}
 * ({@code -Dnest.bench.allow-dirty=true}), and then the line says {@code + uncommitted changes}. Without git (a
 * source tarball) the line says {@code unknown}.
 */
public final class BenchmarksDoc {
    static final String HEADER = """
            # Benchmarks

            Every figure in the README's Specification table comes from a benchmark in this repository. Each section
            below names the machine, the date and the command that produced it; rerun the command to check it.
            """;

    private BenchmarksDoc() {
    }

    /** Replaces (or adds) the section starting with the line {@code heading} with {@code heading + body}. */
    public static void writeSection(Path file, String heading, String body) {
        Path repo = file.toAbsolutePath().getParent().getParent();
        String commit = commitLine(repo, allowDirty());
        if (!commit.equals("unknown") && !body.contains(commit.split(" ")[0])) {
            body = withCommit(body, commit);
        }
        try {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8)
                    : new ArrayList<>(HEADER.lines().toList());
            BenchBlock recorded = BenchBlock.parseAll(String.join("\n", lines)).get(heading.strip());
            String updated = replace(lines, heading, keepRecorded(body, recorded));
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".BENCHMARKS-", ".md");
            Files.writeString(tmp, updated, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * {@code body} with what the doc recorded before kept: the floors of the ratios it recorded (a floor moves only by
     * a deliberate edit of the doc, never because a slower run was written), the recorded rows whose number the body's
     * block lacks (rows a benchmark does not write yet; a row is removed by editing the doc), the recorded
     * {@code guard}/{@code unguarded} lines when the body has none, and the whole recorded block when the body has none.
     */
    static String keepRecorded(String body, BenchBlock recorded) {
        if (recorded == null) {
            return body;
        }
        java.util.Optional<BenchBlock> fresh = BenchBlock.parseSection(body);
        if (fresh.isEmpty()) {
            return body.stripTrailing() + "\n\n" + recorded.render();
        }
        java.util.Map<String, BenchBlock.Ratio> old = new java.util.HashMap<>();
        recorded.ratios().forEach(r -> old.put(r.id(), r));
        java.util.Set<Integer> freshRows = new java.util.HashSet<>();
        fresh.get().rows().forEach(r -> freshRows.add(r.order()));
        List<BenchBlock.Row> rows = new ArrayList<>(fresh.get().rows());
        recorded.rows().stream().filter(r -> !freshRows.contains(r.order())).forEach(rows::add);
        rows.sort(java.util.Comparator.comparingInt(BenchBlock.Row::order));
        BenchBlock kept = new BenchBlock(fresh.get().ratios().stream()
                .map(r -> old.containsKey(r.id()) ? r.withFloorOf(old.get(r.id())) : r).toList(), List.copyOf(rows),
                fresh.get().coverage()).withCoverageOf(recorded); // coverage lines are the doc's, kept like floors
        return replaceBlock(body, kept.render());
    }

    /**
     * {@code body} with its fenced block (from the {@code ```nest-bench} line to the closing fence) replaced by
     * {@code rendered}, found by its fences so that a block written by hand or without a final line break is replaced too.
     */
    static String replaceBlock(String body, String rendered) {
        String open = "```" + BenchBlock.FENCE;
        int start = body.startsWith(open) ? 0 : body.indexOf("\n" + open) + 1;
        if (start < 0 || !body.startsWith(open, start)) {
            throw new IllegalArgumentException("no ```" + BenchBlock.FENCE + " block in the section");
        }
        int close = body.indexOf("\n```", start + open.length());
        if (close < 0) {
            throw new IllegalArgumentException("the ```" + BenchBlock.FENCE + " block is not closed");
        }
        int end = close + 4;
        if (end < body.length() && body.charAt(end) == '\n') {
            end++;
        }
        return body.substring(0, start) + rendered + body.substring(end);
    }

    /** {@code body} with the line {@code Commit: <commit>.} after its first paragraph. */
    static String withCommit(String body, String commit) {
        String b = body.strip();
        int end = b.indexOf("\n\n");
        String line = "Commit: " + commit + ".";
        // a body ending with a line break keeps it: a block that closes the section must still match its rendering
        String tail = body.endsWith("\n") ? "\n" : "";
        return end < 0 ? b + "\n\n" + line + "\n" : b.substring(0, end) + "\n\n" + line + b.substring(end) + tail;
    }

    static boolean allowDirty() {
        String v = System.getProperty("nest.bench.allow-dirty", System.getenv("NEST_BENCH_ALLOW_DIRTY"));
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes"));
    }

    /**
     * The short hash of {@code repo}'s HEAD, with {@code + uncommitted changes} when tracked files differ and
     * {@code allowDirty}; {@code unknown} without git.
     *
     * @throws IllegalStateException when tracked files differ and {@code allowDirty} is false
     */
    static String commitLine(Path repo, boolean allowDirty) {
        String head = Machine.output(List.of("git", "-C", repo.toString(), "rev-parse", "--short", "HEAD"));
        if (head.isEmpty() || head.equals("unknown") || head.startsWith("fatal")) {
            return "unknown";
        }
        String dirty = Machine.output(dirtyCheck(repo));
        if (dirty.isEmpty()) {
            return head;
        }
        if (!allowDirty) {
            throw new IllegalStateException("refusing to write docs/BENCHMARKS.md: " + repo + " has uncommitted changes ("
                    + dirty + " ...), so the figures would name no commit; commit them, or set NEST_BENCH_ALLOW_DIRTY=1 "
                    + "to write them marked '+ uncommitted changes'");
        }
        return head + " + uncommitted changes";
    }

    /**
     * {@code git status} of the tracked files that make the figures: everything but the benchmarks' own output
     * (docs/BENCHMARKS.md and README.md, which a run of several benchmarks changes between them).
     */
    public static List<String> dirtyCheck(Path repo) {
        return List.of("git", "-C", repo.toString(), "status", "--porcelain", "--untracked-files=no", "--", ".",
                ":(exclude)docs/BENCHMARKS.md", ":(exclude)README.md");
    }

    static String replace(List<String> lines, String heading, String body) {
        List<String> section = new ArrayList<>();
        section.add(heading);
        section.add("");
        section.addAll(body.strip().lines().toList());
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(heading)) {
                start = i;
                break;
            }
        }
        List<String> out = new ArrayList<>();
        if (start < 0) {
            out.addAll(lines);
            while (!out.isEmpty() && out.getLast().isBlank()) {
                out.removeLast();
            }
            out.add("");
            out.addAll(section);
        } else {
            int end = lines.size();
            for (int i = start + 1; i < lines.size(); i++) {
                if (lines.get(i).startsWith("## ")) {
                    end = i;
                    break;
                }
            }
            out.addAll(lines.subList(0, start));
            out.addAll(section);
            if (end < lines.size()) {
                out.add("");
                out.addAll(lines.subList(end, lines.size()));
            }
        }
        return String.join("\n", out).stripTrailing() + "\n";
    }
}
