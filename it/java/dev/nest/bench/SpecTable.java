package dev.nest.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The README's Specification table and the benchmark guard, both from the {@link BenchBlock}s of
 * {@code docs/BENCHMARKS.md}.
 *
 * <ul>
 *   <li>{@code readme [--check]}: rewrites the lines between {@value #BEGIN} and {@value #END} in {@code README.md}
 *       with the table made of every block's rows (ordered by their number); with {@code --check} it writes nothing
 *       and exits 1 when the README differs.</li>
 *   <li>{@code check RESULTS}: compares the ratios of a fresh run (a file holding the run's section(s), as
 *       {@code NEST_BENCH_RESULTS} writes them) with those recorded in the doc; exits 1 on a regression beyond the
 *       noise (see {@link #verdicts}).</li>
 * </ul>
 * Exit status 2 for a usage error or a malformed block (the message names the file, the section and the line).
 */
public final class SpecTable {
    static final String BEGIN = "<!-- spec-table:begin (generated from docs/BENCHMARKS.md by distribution/bench.sh --readme; do not edit) -->";
    static final String END = "<!-- spec-table:end -->";
    static final String HEADER = "| promise | target | measured | command |\n|---|---|---|---|\n";

    private SpecTable() {
    }

    /** One ratio's verdict. */
    record Verdict(String id, boolean regressed, String text) {
    }

    public static void main(String[] args) {
        System.exit(run(args, Path.of(System.getProperty("nest.home", "."))));
    }

    static int run(String[] args, Path root) {
        try {
            if (args.length >= 1 && args[0].equals("readme")) {
                boolean check = args.length == 2 && args[1].equals("--check");
                Path readme = root.resolve("README.md");
                String before = read(readme);
                String after = rewrite(before, table(BenchBlock.parseAll(read(root.resolve("docs/BENCHMARKS.md")))));
                if (check) {
                    if (!before.equals(after)) {
                        System.err.println("README.md's Specification table differs from docs/BENCHMARKS.md; run "
                                + "distribution/bench.sh --readme");
                        return 1;
                    }
                    System.out.println("README.md's Specification table matches docs/BENCHMARKS.md");
                    return 0;
                }
                if (!before.equals(after)) {
                    Files.writeString(readme, after, StandardCharsets.UTF_8);
                }
                System.out.println("README.md's Specification table " + (before.equals(after) ? "unchanged" : "rewritten"));
                return 0;
            }
            if (args.length == 2 && args[0].equals("check")) {
                Map<String, BenchBlock> doc = BenchBlock.parseAll(read(root.resolve("docs/BENCHMARKS.md")));
                List<String> problems = coverageProblems(doc);
                if (!problems.isEmpty()) {
                    problems.forEach(p -> System.err.println("bench: docs/BENCHMARKS.md, " + p));
                    return 2;
                }
                Map<String, BenchBlock.Ratio> recorded = ratios(doc);
                Map<String, BenchBlock.Ratio> fresh = ratios(BenchBlock.parseAll(read(Path.of(args[1]))));
                List<Verdict> verdicts = verdicts(recorded, fresh);
                verdicts.forEach(v -> System.out.println((v.regressed() ? "REGRESSION " : "ok         ") + v.text()));
                unguarded(doc).forEach(u -> System.out.println("unguarded  " + u));
                long bad = verdicts.stream().filter(Verdict::regressed).count();
                System.out.println(bad == 0 ? "bench --check: no regression beyond the noise"
                        : "bench --check: " + bad + " regression(s) beyond the noise");
                return bad == 0 ? 0 : 1;
            }
            System.err.println("usage: SpecTable readme [--check] | SpecTable check RESULTS.md");
            return 2;
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            System.err.println("bench: " + e);
            return 2;
        }
    }

    /** The table (header and rows) made of every block's rows, ordered by their number, then by section order. */
    static String table(Map<String, BenchBlock> blocks) {
        List<BenchBlock.Row> rows = new ArrayList<>();
        blocks.values().forEach(b -> rows.addAll(b.rows()));
        StringBuilder t = new StringBuilder(HEADER);
        rows.stream().sorted(Comparator.comparingInt(BenchBlock.Row::order))
                .forEach(r -> t.append(r.tableLine()).append('\n'));
        return t.toString();
    }

    /** {@code readme} with the lines between the markers replaced by {@code table}. */
    static String rewrite(String readme, String table) {
        int b = readme.indexOf(BEGIN);
        int e = readme.indexOf(END);
        if (b < 0 || e < b) {
            throw new IllegalArgumentException("README.md: no '" + BEGIN + "' ... '" + END + "' markers around the "
                    + "Specification table");
        }
        return readme.substring(0, b + BEGIN.length()) + "\n" + table + readme.substring(e);
    }

    /**
     * The guard, a pure function. Each fresh ratio with a recorded one is compared with the recorded floor; the
     * tolerance is the larger of the recorded and the fresh noise. A {@code higher} ratio regresses when it is below
     * {@code floor - noise}, a {@code lower} one when above {@code floor + noise}. A fresh ratio not recorded, or a
     * recorded one not measured in this run, is reported and is not a regression.
     */
    static List<Verdict> verdicts(Map<String, BenchBlock.Ratio> recorded, Map<String, BenchBlock.Ratio> fresh) {
        List<Verdict> out = new ArrayList<>();
        fresh.forEach((id, f) -> {
            BenchBlock.Ratio r = recorded.get(id);
            if (r == null) {
                out.add(new Verdict(id, false, id + " = " + fmt(f.value()) + ": not recorded in docs/BENCHMARKS.md yet"));
                return;
            }
            double tol = Math.max(r.noise(), f.noise());
            boolean bad = r.higherIsBetter() ? f.value() < r.floor() - tol : f.value() > r.floor() + tol;
            out.add(new Verdict(id, bad, String.format(Locale.ROOT, "%s = %s (recorded %s, floor %s, noise %s, %s is better)",
                    id, fmt(f.value()), fmt(r.value()), fmt(r.floor()), fmt(tol), r.higherIsBetter() ? "higher" : "lower")));
        });
        recorded.keySet().stream().filter(id -> !fresh.containsKey(id))
                .forEach(id -> out.add(new Verdict(id, false, id + ": not measured in this run")));
        return out;
    }

    /** Every block's coverage problems ({@link BenchBlock#problems}), each prefixed with its section's heading. */
    static List<String> coverageProblems(Map<String, BenchBlock> blocks) {
        List<String> out = new ArrayList<>();
        blocks.forEach((heading, b) -> b.problems().forEach(p -> out.add(heading + ": " + p)));
        return out;
    }

    /** The rows {@code --check} does not rerun, with why: one line per {@code unguarded} line of the doc. */
    static List<String> unguarded(Map<String, BenchBlock> blocks) {
        List<String> out = new ArrayList<>();
        blocks.forEach((heading, b) -> b.coverage().stream().filter(c -> !c.guarded()).forEach(c -> out.add(
                "row(s) " + String.join(",", c.rowOrders().stream().map(String::valueOf).toList()) + " ("
                        + heading.substring(3) + "): " + c.reason())));
        return out;
    }

    static Map<String, BenchBlock.Ratio> ratios(Map<String, BenchBlock> blocks) {
        Map<String, BenchBlock.Ratio> out = new LinkedHashMap<>();
        blocks.forEach((heading, b) -> b.ratios().forEach(r -> {
            if (out.put(r.id(), r) != null) {
                throw new IllegalArgumentException("ratio " + r.id() + " is recorded twice (again in " + heading + ")");
            }
        }));
        return out;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static String read(Path p) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new IOException(p + ": no such file");
        }
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
