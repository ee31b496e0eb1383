package dev.nest.bench;

import dev.nest.it.Fixtures;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * Row 320 of the README: the H2 queue's enqueue rate beside the Kafka queue's, both from one run of
 * {@code distribution/bench-async.sh}. {@link AsyncBenchmark} and {@link KafkaAsyncBenchmark} measure them in two
 * processes; each writes its figures ({@link Figures}) into the run's own folder (made empty by the script for that
 * run) after its section, and the script's last step ({@link #main}) pairs them: it writes row 320 into the H2
 * section's block only when both files exist, name the run the script gave both processes and the same commit, and
 * (when writing the doc) both sections of the doc name that run. Otherwise it says why and the recorded row stays, so
 * the row never mixes two runs and a partial run keeps it.
 */
public final class AsyncEnqueueRow {
    static final int ORDER = 320;
    static final String H2_FILE = "h2.properties";
    static final String KAFKA_FILE = "kafka.properties";

    private AsyncEnqueueRow() {
    }

    /**
     * One queue's enqueue figures of one run: {@code run} is the run's id, {@code brokers} the Kafka brokers (0 for
     * the H2 queue), {@code cores} the machine's.
     */
    record Figures(String run, String commit, String queue, int cores, int brokers, double perSecond, double p50Millis) {
        Figures {
            if (!run.matches("[A-Za-z0-9._-]{1,80}")) {
                throw new IllegalArgumentException("a run id is 1 to 80 letters, digits, '.', '_' or '-': '" + run + "'");
            }
            if (!queue.equals("h2") && !queue.equals("kafka")) {
                throw new IllegalArgumentException("queue is 'h2' or 'kafka', not '" + queue + "'");
            }
            if (cores < 1 || brokers < 0 || !(perSecond >= 0) || !Double.isFinite(perSecond) || !(p50Millis >= 0)
                    || !Double.isFinite(p50Millis)) {
                throw new IllegalArgumentException("figures out of range: cores " + cores + ", brokers " + brokers
                        + ", " + perSecond + "/s, p50 " + p50Millis + " ms");
            }
        }

        /** Writes these figures to {@code file} (replaced). */
        void write(Path file) {
            Properties p = new Properties();
            p.setProperty("run", run);
            p.setProperty("commit", commit);
            p.setProperty("queue", queue);
            p.setProperty("cores", String.valueOf(cores));
            p.setProperty("brokers", String.valueOf(brokers));
            p.setProperty("per-second", String.valueOf(perSecond));
            p.setProperty("p50-ms", String.valueOf(p50Millis));
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                p.store(w, "enqueue figures of one bench-async run (row 320)");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }

        /** The figures in {@code file}, empty when it does not exist; a malformed file fails naming the key. */
        static Optional<Figures> read(Path file) {
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
            try {
                return Optional.of(new Figures(get(p, "run", file), get(p, "commit", file), get(p, "queue", file),
                        Integer.parseInt(get(p, "cores", file)), Integer.parseInt(get(p, "brokers", file)),
                        Double.parseDouble(get(p, "per-second", file)), Double.parseDouble(get(p, "p50-ms", file))));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(file + ": a number is malformed: " + e.getMessage(), e);
            }
        }

        private static String get(Properties p, String key, Path file) {
            String v = p.getProperty(key);
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException(file + " has no '" + key + "'");
            }
            return v.strip();
        }
    }

    /** The file of one queue's figures in the run folder {@code nest.bench.run-dir}, if the script gave one. */
    static Optional<Path> runFile(String name) {
        String dir = System.getProperty("nest.bench.run-dir", "");
        return dir.isBlank() ? Optional.empty() : Optional.of(Path.of(dir).resolve(name));
    }

    /** This run's id: {@code nest.bench.run} (the script gives both processes one), else a fresh one. */
    static String runId() {
        String id = System.getProperty("nest.bench.run", "");
        return id.isBlank() ? java.time.Instant.now().toEpochMilli() + "-" + ProcessHandle.current().pid() : id;
    }

    /** Row 320 from one run's two figures. */
    static BenchBlock.Row row(Figures h2, Figures kafka, String command) {
        return BenchBlock.row(ORDER, String.format(Locale.ROOT, "async enqueue with 16 clients, `h2` / `kafka` (%s on "
                        + "the same %d cores): 202s per second, 202 p50", brokers(kafka.brokers()), h2.cores()), "",
                "`" + command + "`", "%,.0f/s, %s / %,.0f/s, %s", h2.perSecond(), millis(h2.p50Millis()),
                kafka.perSecond(), millis(kafka.p50Millis()));
    }

    /**
     * Row 320 if {@code h2} and {@code kafka} are both present and of run {@code run} and of one commit; otherwise
     * the reason it is not written (the recorded row is kept).
     */
    static Pairing pair(Optional<Figures> h2, Optional<Figures> kafka, String run, String command) {
        List<String> why = new ArrayList<>();
        if (h2.isEmpty()) {
            why.add("the H2 queue's figures are missing (its benchmark did not finish)");
        }
        if (kafka.isEmpty()) {
            why.add("the Kafka queue's figures are missing (its benchmark did not finish or was skipped)");
        }
        h2.filter(f -> !f.run().equals(run)).ifPresent(f -> why.add("the H2 figures are of run " + f.run() + ", not " + run));
        kafka.filter(f -> !f.run().equals(run)).ifPresent(f -> why.add("the Kafka figures are of run " + f.run() + ", not " + run));
        h2.filter(f -> !f.queue().equals("h2")).ifPresent(f -> why.add("the H2 file holds the " + f.queue() + " queue's figures"));
        kafka.filter(f -> !f.queue().equals("kafka")).ifPresent(f -> why.add("the Kafka file holds the " + f.queue() + " queue's figures"));
        if (h2.isPresent() && kafka.isPresent() && !h2.get().commit().equals(kafka.get().commit())) {
            why.add("the two measured different commits (" + h2.get().commit() + ", " + kafka.get().commit() + ")");
        }
        return why.isEmpty() ? new Pairing(Optional.of(row(h2.get(), kafka.get(), command)), List.of())
                : new Pairing(Optional.empty(), why);
    }

    /** Row 320, or why the run does not write it. */
    record Pairing(Optional<BenchBlock.Row> row, List<String> reasons) {
    }

    /** The text of section {@code heading} of {@code doc} (after the heading line, up to the next {@code ## }). */
    static Optional<String> section(String doc, String heading) {
        List<String> lines = doc.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(heading)) {
                int end = i + 1;
                while (end < lines.size() && !lines.get(end).startsWith("## ")) {
                    end++;
                }
                return Optional.of(String.join("\n", lines.subList(i + 1, end)).strip() + "\n");
            }
        }
        return Optional.empty();
    }

    /** {@code body} (a section holding a block) with the block's row {@code row.order()} replaced or added. */
    static String withRow(String body, BenchBlock.Row row) {
        BenchBlock block = BenchBlock.parseSection(body).orElseThrow(() -> new IllegalArgumentException(
                "the section has no ```" + BenchBlock.FENCE + " block to write row " + row.order() + " into"));
        List<BenchBlock.Row> rows = new ArrayList<>(block.rows().stream().filter(r -> r.order() != row.order()).toList());
        rows.add(row);
        rows.sort(java.util.Comparator.comparingInt(BenchBlock.Row::order));
        return BenchmarksDoc.replaceBlock(body, new BenchBlock(block.ratios(), rows, block.coverage()).render());
    }

    /** The sentence a section names its run with; row 320 is written only when both sections have it. */
    static String runSentence(String run) {
        return "Run `" + run + "` (row 320 pairs the H2 and Kafka sections of one run).";
    }

    /**
     * Writes row 320 of one run into the H2 section of {@code doc} when both sections name the run; returns why not
     * otherwise (nothing written).
     */
    static List<String> writeRow(Path doc, BenchBlock.Row row, String run) {
        String text;
        try {
            text = Files.readString(doc, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + doc, e);
        }
        Optional<String> h2 = section(text, AsyncBenchmark.HEADING);
        Optional<String> kafka = section(text, KafkaAsyncBenchmark.HEADING);
        List<String> why = new ArrayList<>();
        if (h2.filter(s -> s.contains(runSentence(run))).isEmpty()) {
            why.add(doc + ": the section '" + AsyncBenchmark.HEADING + "' is not of run " + run);
        }
        if (kafka.filter(s -> s.contains(runSentence(run))).isEmpty()) {
            why.add(doc + ": the section '" + KafkaAsyncBenchmark.HEADING + "' is not of run " + run);
        }
        if (why.isEmpty()) {
            BenchmarksDoc.writeSection(doc, AsyncBenchmark.HEADING, withRow(h2.get(), row));
        }
        return why;
    }

    /**
     * The last step of {@code distribution/bench-async.sh}: pairs the figures in {@code nest.bench.run-dir} of run
     * {@code nest.bench.run}, prints row 320 and, when {@code nest.bench.docs} is true, writes it. Exits 0 also when
     * the row is kept (saying why): a skipped Kafka part is not a failure.
     */
    public static void main(String[] args) {
        String run = System.getProperty("nest.bench.run", "");
        Path dir = runFile(H2_FILE).map(Path::getParent).orElseThrow(() -> new IllegalArgumentException(
                "set -Dnest.bench.run-dir to the folder of the run's figures and -Dnest.bench.run to its id"));
        if (run.isBlank()) {
            throw new IllegalArgumentException("set -Dnest.bench.run to the id the run gave both benchmarks");
        }
        boolean docs = Boolean.parseBoolean(System.getProperty("nest.bench.docs", "true"));
        String command = System.getProperty("nest.bench.command", "distribution/bench-async.sh");
        Pairing p = pair(Figures.read(dir.resolve(H2_FILE)), Figures.read(dir.resolve(KAFKA_FILE)), run, command);
        List<String> why = new ArrayList<>(p.reasons());
        if (p.row().isPresent()) {
            System.out.println("async bench: " + p.row().get().line());
            if (docs) {
                why.addAll(writeRow(Fixtures.projectRoot().resolve("docs/BENCHMARKS.md"), p.row().get(), run));
            }
        }
        if (!why.isEmpty()) {
            System.out.println("async bench: row " + ORDER + " is kept as recorded: " + String.join("; ", why));
        }
    }

    private static String brokers(int n) {
        String[] words = {"no", "one", "two", "three", "four", "five"};
        return (n < words.length ? words[n] : String.valueOf(n)) + " local broker" + (n == 1 ? "" : "s");
    }

    /** A latency as the row quotes it: one decimal below 100 ms, whole milliseconds above. */
    private static String millis(double ms) {
        return String.format(Locale.ROOT, ms < 100 ? "%.1f ms" : "%.0f ms", ms);
    }
}
