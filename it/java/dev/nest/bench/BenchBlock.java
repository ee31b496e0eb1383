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
 * </pre>
 * A ratio is {@code higher} (or {@code lower}) is better; its {@code floor} is the level a later run must not fall
 * below by more than its {@code noise} (the spread of the rounds of the run that recorded it); for a {@code lower}
 * ratio the floor is a ceiling. A row's number orders the README table; its cells are Markdown, without {@code |}.
 *
 * <p>Parsing is strict: a malformed line fails with the line and what is allowed, so a hand edit cannot silently drop
 * a row or a guard.
 */
record BenchBlock(List<Ratio> ratios, List<Row> rows) {
    static final String FENCE = "nest-bench";

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

    /** The block as Markdown (the fence included). */
    String render() {
        StringBuilder b = new StringBuilder("```").append(FENCE).append('\n');
        ratios.forEach(r -> b.append(r.line()).append('\n'));
        rows.forEach(r -> b.append(r.line()).append('\n'));
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
                int j = i + 1;
                for (; j < lines.size() && !lines.get(j).strip().equals("```"); j++) {
                    parseLine(lines.get(j), heading, ratios, rows);
                }
                if (j == lines.size()) {
                    throw new IllegalArgumentException(heading + ": a ```" + FENCE + " block is not closed");
                }
                if (out.containsKey(heading)) {
                    throw new IllegalArgumentException(heading + ": more than one ```" + FENCE + " block");
                }
                out.put(heading, new BenchBlock(List.copyOf(ratios), List.copyOf(rows)));
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

    private static void parseLine(String raw, String heading, List<Ratio> ratios, List<Row> rows) {
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
            } else {
                throw new IllegalArgumentException("a line starts with 'ratio ', 'row ' or '#'");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("docs/BENCHMARKS.md, " + heading + ", ```" + FENCE + " line '" + l
                    + "': " + e.getMessage(), e);
        }
    }
}
