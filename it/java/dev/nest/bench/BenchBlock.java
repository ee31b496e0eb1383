package dev.nest.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The machine-readable part of a {@code docs/BENCHMARKS.md} section: a fenced block with the info string
 * {@value #FENCE} that holds the section's ratios (for {@code distribution/bench.sh --check}) and its rows of the
 * README's Specification table (for {@link SpecTable}). One entry a line:
 * <pre>
 * ratio warm.nodejs.throughput 0.62 floor 0.60 noise 0.05 higher
 * row 20 | promise | target | measured | `command`
 * guard 20 | warm.nodejs.throughput
 * unguarded 60,70 | why --check cannot rerun these rows
 * </pre>
 * A ratio is {@code higher} (or {@code lower}) is better; its {@code floor} is the level a later run must not fall
 * below by more than its {@code noise} (the spread of the rounds of the run that recorded it); for a {@code lower}
 * ratio the floor is a ceiling. A row's number orders the README table; its cells are Markdown, without {@code |}.
 * Every row is covered by exactly one {@code guard} line (the ratios of the block that {@code --check} compares for it)
 * or {@code unguarded} line (why {@code --check} does not rerun it: no same-run baseline, a cluster, an engine, a long
 * trace); {@link #problems} lists the rows that are not. Benchmarks write ratios and rows; the coverage lines are
 * written by hand and kept when a benchmark rewrites its section.
 *
 * <p>Parsing is strict: a malformed line fails with the line and what is allowed, so a hand edit cannot silently drop
 * a row or a guard.
 */
record BenchBlock(List<Ratio> ratios, List<Row> rows, List<Coverage> coverage) {
    static final String FENCE = "nest-bench";

    /** A block without coverage lines (what a benchmark writes). */
    BenchBlock(List<Ratio> ratios, List<Row> rows) {
        this(ratios, rows, List.of());
    }

    /**
     * Which rows {@code --check} guards and by which ratios ({@code guard}), or why it does not ({@code unguarded}:
     * {@code ratioIds} empty, {@code reason} set).
     */
    record Coverage(List<Integer> rowOrders, List<String> ratioIds, String reason) {
        Coverage {
            rowOrders = List.copyOf(rowOrders);
            ratioIds = List.copyOf(ratioIds);
            if (rowOrders.isEmpty()) {
                throw new IllegalArgumentException("a guard or unguarded line names at least one row number");
            }
            if (ratioIds.isEmpty() == reason.isBlank()) {
                throw new IllegalArgumentException("a guard line names ratio ids, an unguarded line a reason");
            }
            if (reason.contains("|") || reason.contains("\n")) {
                throw new IllegalArgumentException("a reason may not contain '|' or a line break");
            }
        }

        boolean guarded() {
            return !ratioIds.isEmpty();
        }

        String line() {
            String rows = String.join(",", rowOrders.stream().map(String::valueOf).toList());
            return guarded() ? "guard " + rows + " | " + String.join(" ", ratioIds) : "unguarded " + rows + " | " + reason;
        }
    }

    /**
     * What is wrong with this block's coverage, empty when every row is covered exactly once, every covered row
     * exists and every ratio a {@code guard} line names is in the block. A pure function (the doc's test calls it).
     */
    List<String> problems() {
        List<String> out = new ArrayList<>();
        java.util.Set<Integer> orders = new java.util.TreeSet<>();
        rows.forEach(r -> orders.add(r.order()));
        java.util.Set<String> ids = new java.util.HashSet<>();
        ratios.forEach(r -> ids.add(r.id()));
        Map<Integer, Integer> covered = new java.util.TreeMap<>();
        for (Coverage c : coverage) {
            c.rowOrders().forEach(o -> covered.merge(o, 1, Integer::sum));
            c.rowOrders().stream().filter(o -> !orders.contains(o))
                    .forEach(o -> out.add("'" + c.line() + "' names row " + o + ", which the block does not have"));
            c.ratioIds().stream().filter(id -> !ids.contains(id))
                    .forEach(id -> out.add("'" + c.line() + "' names ratio " + id + ", which the block does not record"));
        }
        orders.stream().filter(o -> !covered.containsKey(o))
                .forEach(o -> out.add("row " + o + " is neither guarded nor says why not (add 'guard " + o
                        + " | RATIO-ID' or 'unguarded " + o + " | REASON')"));
        covered.forEach((o, n) -> {
            if (n > 1) {
                out.add("row " + o + " is covered by " + n + " guard/unguarded lines; one is allowed");
            }
        });
        return out;
    }

    /** This block with {@code recorded}'s coverage lines when it has none of its own (a benchmark's fresh block). */
    BenchBlock withCoverageOf(BenchBlock recorded) {
        return coverage.isEmpty() ? new BenchBlock(ratios, rows, recorded.coverage()) : this;
    }

    /** One guarded ratio. */
    record Ratio(String id, double value, double floor, double noise, boolean higherIsBetter) {
        Ratio {
            if (!id.matches("[a-z0-9][a-z0-9.-]*")) {
                throw new IllegalArgumentException("ratio id '" + id + "': allowed lowercase letters, digits, '.', '-'");
            }
            if (!Double.isFinite(value) || !Double.isFinite(floor) || !Double.isFinite(noise) || noise < 0) {
                throw new IllegalArgumentException("ratio " + id + ": value, floor and noise must be finite numbers, "
                        + "noise >= 0 (got " + value + ", " + floor + ", " + noise + ")");
            }
        }

        String line() {
            return String.format(Locale.ROOT, "ratio %s %.4f floor %.4f noise %.4f %s", id, value, floor, noise,
                    higherIsBetter ? "higher" : "lower");
        }

        /** The same ratio measured again, keeping this (recorded) floor. */
        Ratio withFloorOf(Ratio recorded) {
            return new Ratio(id, value, recorded.floor(), noise, higherIsBetter);
        }
    }

    /** One row of the README's Specification table. */
    record Row(int order, String promise, String target, String measured, String command) {
        Row {
            for (String cell : List.of(promise, target, measured, command)) {
                if (cell.contains("|") || cell.contains("\n")) {
                    throw new IllegalArgumentException("row " + order + ": a cell may not contain '|' or a line break: "
                            + cell);
                }
            }
        }

        String line() {
            return "row " + order + " | " + promise + " | " + target + " | " + measured + " | " + command;
        }

        String tableLine() {
            return "| " + promise + " | " + target + " | " + measured + " | " + command + " |";
        }
    }

    /**
     * One README row of a run: {@code measured} is {@code measuredFormat} formatted (in {@link Locale#ROOT}) with
     * {@code figures}, the values this run measured, so that the row can only say what the run's tables say.
     */
    static Row row(int order, String promise, String target, String command, String measuredFormat,
                   Object... figures) {
        return new Row(order, promise, target, String.format(Locale.ROOT, measuredFormat, figures), command);
    }

    /**
     * The end of a benchmark's section: a blank line and the block of the run's ratios and rows (in row order), or
     * nothing when the run measured neither. The rows a run leaves out (a case it did not measure) are kept as
     * recorded when the section is written ({@link BenchmarksDoc#keepRecorded}).
     */
    static String tail(List<Ratio> ratios, List<Row> rows) {
        if (ratios.isEmpty() && rows.isEmpty()) {
            return "";
        }
        List<Row> sorted = rows.stream().sorted(java.util.Comparator.comparingInt(Row::order)).toList();
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).order() == sorted.get(i - 1).order()) {
                throw new IllegalArgumentException("row " + sorted.get(i).order() + " is written twice by one run: '"
                        + sorted.get(i - 1).line() + "' and '" + sorted.get(i).line() + "'");
            }
        }
        return "\n" + new BenchBlock(List.copyOf(ratios), sorted).render();
    }

    /** The block as Markdown (the fence included). */
    String render() {
        StringBuilder b = new StringBuilder("```").append(FENCE).append('\n');
        ratios.forEach(r -> b.append(r.line()).append('\n'));
        rows.forEach(r -> b.append(r.line()).append('\n'));
        coverage.forEach(c -> b.append(c.line()).append('\n'));
        return b.append("```\n").toString();
    }

    /** Every block in {@code markdown}, by the heading ({@code ## ...}) of the section holding it, in order. */
    static Map<String, BenchBlock> parseAll(String markdown) {
        Map<String, BenchBlock> out = new LinkedHashMap<>();
        String heading = "";
        List<String> lines = markdown.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.startsWith("## ")) {
                heading = l.strip();
            } else if (l.strip().equals("```" + FENCE)) {
                List<Ratio> ratios = new ArrayList<>();
                List<Row> rows = new ArrayList<>();
                List<Coverage> coverage = new ArrayList<>();
                int j = i + 1;
                for (; j < lines.size() && !lines.get(j).strip().equals("```"); j++) {
                    parseLine(lines.get(j), heading, ratios, rows, coverage);
                }
                if (j == lines.size()) {
                    throw new IllegalArgumentException(heading + ": a ```" + FENCE + " block is not closed");
                }
                if (out.containsKey(heading)) {
                    throw new IllegalArgumentException(heading + ": more than one ```" + FENCE + " block");
                }
                out.put(heading, new BenchBlock(List.copyOf(ratios), List.copyOf(rows), List.copyOf(coverage)));
                i = j;
            }
        }
        return out;
    }

    /** The block of one section's text, if it has one. */
    static Optional<BenchBlock> parseSection(String text) {
        Map<String, BenchBlock> all = parseAll("## x\n" + text);
        return all.values().stream().findFirst();
    }

    private static void parseLine(String raw, String heading, List<Ratio> ratios, List<Row> rows,
                                  List<Coverage> coverage) {
        String l = raw.strip();
        if (l.isEmpty() || l.startsWith("#")) {
            return;
        }
        try {
            if (l.startsWith("ratio ")) {
                String[] t = l.split("\\s+");
                if (t.length != 8 || !t[3].equals("floor") || !t[5].equals("noise")) {
                    throw new IllegalArgumentException("expected 'ratio ID VALUE floor F noise N higher|lower'");
                }
                boolean higher = switch (t[7]) {
                    case "higher" -> true;
                    case "lower" -> false;
                    default -> throw new IllegalArgumentException("the direction must be 'higher' or 'lower'");
                };
                ratios.add(new Ratio(t[1], Double.parseDouble(t[2]), Double.parseDouble(t[4]), Double.parseDouble(t[6]),
                        higher));
            } else if (l.startsWith("row ")) {
                String[] t = l.substring(4).split("\\|", -1);
                if (t.length != 5) {
                    throw new IllegalArgumentException("expected 'row ORDER | promise | target | measured | command'");
                }
                rows.add(new Row(Integer.parseInt(t[0].strip()), t[1].strip(), t[2].strip(), t[3].strip(), t[4].strip()));
            } else if (l.startsWith("guard ") || l.startsWith("unguarded ")) {
                boolean guard = l.startsWith("guard ");
                String[] t = l.substring(guard ? 6 : 10).split("\\|", -1);
                if (t.length != 2 || t[1].isBlank()) {
                    throw new IllegalArgumentException(guard ? "expected 'guard ROW[,ROW...] | RATIO-ID[ RATIO-ID...]'"
                            : "expected 'unguarded ROW[,ROW...] | REASON'");
                }
                List<Integer> orders = new ArrayList<>();
                for (String o : t[0].strip().split(",")) {
                    orders.add(Integer.parseInt(o.strip()));
                }
                coverage.add(guard ? new Coverage(orders, List.of(t[1].strip().split("\\s+")), "")
                        : new Coverage(orders, List.of(), t[1].strip()));
            } else {
                throw new IllegalArgumentException("a line starts with 'ratio ', 'row ', 'guard ', 'unguarded ' or '#'");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("docs/BENCHMARKS.md, " + heading + ", ```" + FENCE + " line '" + l
                    + "': " + e.getMessage(), e);
        }
    }
}
