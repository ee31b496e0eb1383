package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.it.AsyncDurabilityRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The async benchmarks' README rows, rendered from fixed figures and written into a copy of the doc: rows 310 and 330
 * by {@link AsyncBenchmark}, row 320 by {@link AsyncEnqueueRow} from the figures of both queues of one run.
 */
class AsyncBenchmarkTest {
    @TempDir
    Path dir;

    private static AsyncDurabilityRun.Result durable(int acknowledged, int executed, int duplicates, int lost, int kills) {
        return new AsyncDurabilityRun.Result(acknowledged, executed, duplicates, lost, 7, kills, 635, 28.3, 22.7, List.of(),
                List.of());
    }

    @Test
    void rows310And330SayWhatTheTableSays() {
        assertEquals(List.of(
                "row 310 | async invocation (`h2` queue) at idle: request sent to the function's start, p50 / p99; the 202"
                        + " p50 | <= 20 ms p50 | 9 ms / 21 ms; 7.5 ms | `distribution/bench-async.sh`",
                "row 330 | async durability, `h2`: 10,000 acknowledged invocations, node `kill -9`ed three times: executed"
                        + " / duplicates / lost | lost 0 | 10,000 / 10 / **0** | `distribution/bench-async.sh`"),
                AsyncBenchmark.rows(List.of(21.0, 9.0, 5.0), List.of(7.5, 19.7, 3.0), durable(10_000, 10_000, 10, 0, 3),
                        "distribution/bench-async.sh").stream().map(BenchBlock.Row::line).toList());
    }

    @Test
    void aRunRewritesRows310And330AndKeepsRow320() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        List<BenchBlock.Row> rows = AsyncBenchmark.rows(List.of(12.0, 30.0), List.of(8.0, 9.0),
                durable(2_000, 1_998, 0, 2, 2), "NEST_BENCH_INVOCATIONS=2000 distribution/bench-async.sh");
        s.write(AsyncBenchmark.HEADING, "Measured now.\n" + BenchBlock.tail(List.of(), rows));
        s.assertOnlyRowsChanged(before, table, AsyncBenchmark.HEADING, rows);
        assertEquals("| async durability, `h2`: 2,000 acknowledged invocations, node `kill -9`ed twice: executed / "
                + "duplicates / lost | lost 0 | 1,998 / 0 / **2** | `NEST_BENCH_INVOCATIONS=2000 distribution/bench-async.sh` |",
                ScratchDoc.tableLine(s.blocks(), 330));
        assertEquals(ScratchDoc.tableLine(before, 320), ScratchDoc.tableLine(s.blocks(), 320), "row 320 is kept");
    }

    private static AsyncEnqueueRow.Figures h2(String run, String commit, double perSecond, double p50) {
        return new AsyncEnqueueRow.Figures(run, commit, "h2", 2, 0, perSecond, p50);
    }

    private static AsyncEnqueueRow.Figures kafka(String run, String commit, int brokers, double perSecond, double p50) {
        return new AsyncEnqueueRow.Figures(run, commit, "kafka", 2, brokers, perSecond, p50);
    }

    @Test
    void row320FromTheRecordedFiguresIsTheRecordedRow() throws IOException {
        // the H2 and Kafka sections of the run that made the row written by hand before: 1376 /s, p50 9.1 ms; 118 /s,
        // p50 115.7 ms, and that row's text
        AsyncEnqueueRow.Pairing p = AsyncEnqueueRow.pair(Optional.of(h2("r1", "2a8e650", 1376.4, 9.1)),
                Optional.of(kafka("r1", "2a8e650", 3, 117.9, 115.7)), "r1", "distribution/bench-async.sh");
        assertEquals(List.of(), p.reasons());
        assertEquals("| async enqueue with 16 clients, `h2` / `kafka` (three local brokers on the same 2 cores): 202s per"
                + " second, 202 p50 |  | 1,376/s, 9.1 ms / 118/s, 116 ms | `distribution/bench-async.sh` |",
                p.row().orElseThrow().tableLine());
        // and the row the doc holds now is one such row, in the table's shape
        assertTrue(ScratchDoc.tableLine(BenchBlock.parseAll(Files.readString(Path.of("docs/BENCHMARKS.md"))), 320)
                .matches("\\| async enqueue with 16 clients, `h2` / `kafka` \\(.*\\): 202s per second, 202 p50 \\|  \\| "
                        + "[0-9,]+/s, [0-9.]+ ms / [0-9,]+/s, [0-9.]+ ms \\| `distribution/bench-async.sh` \\|"));
        assertEquals("row 320 | async enqueue with 16 clients, `h2` / `kafka` (one local broker on the same 2 cores): 202s"
                + " per second, 202 p50 |  | 2,104/s, 12.0 ms / 87/s, 99.9 ms | `NEST_BENCH_SECONDS=5 distribution/bench-async.sh`",
                AsyncEnqueueRow.row(h2("r2", "c", 2104.2, 12.04), kafka("r2", "c", 1, 87.0, 99.94),
                        "NEST_BENCH_SECONDS=5 distribution/bench-async.sh").line());
    }

    @Test
    void row320IsWrittenOnlyFromBothQueuesOfOneRun() {
        String cmd = "distribution/bench-async.sh";
        assertTrue(AsyncEnqueueRow.pair(Optional.of(h2("r1", "c", 1, 1)), Optional.empty(), "r1", cmd).row().isEmpty(),
                "no Kafka figures (skipped or failed): the recorded row stays");
        assertTrue(AsyncEnqueueRow.pair(Optional.empty(), Optional.of(kafka("r1", "c", 3, 1, 1)), "r1", cmd).row().isEmpty());
        AsyncEnqueueRow.Pairing mixed = AsyncEnqueueRow.pair(Optional.of(h2("r0", "c", 1, 1)),
                Optional.of(kafka("r1", "c", 3, 1, 1)), "r1", cmd);
        assertTrue(mixed.row().isEmpty(), "figures of another run are never paired");
        assertEquals(List.of("the H2 figures are of run r0, not r1"), mixed.reasons());
        assertTrue(AsyncEnqueueRow.pair(Optional.of(h2("r1", "a", 1, 1)), Optional.of(kafka("r1", "b", 3, 1, 1)), "r1", cmd)
                .row().isEmpty(), "two commits");
        assertTrue(AsyncEnqueueRow.pair(Optional.of(kafka("r1", "c", 3, 1, 1)), Optional.of(kafka("r1", "c", 3, 1, 1)),
                "r1", cmd).row().isEmpty(), "the H2 file holds H2 figures");
    }

    @Test
    void figuresRoundTripAndAMalformedFileSaysWhat() throws IOException {
        AsyncEnqueueRow.Figures f = kafka("20261208T021000Z-42", "6d64ea5", 3, 118.25, 115.7);
        Path file = dir.resolve(AsyncEnqueueRow.KAFKA_FILE);
        f.write(file);
        assertEquals(Optional.of(f), AsyncEnqueueRow.Figures.read(file));
        assertEquals(Optional.empty(), AsyncEnqueueRow.Figures.read(dir.resolve("none.properties")));
        Files.writeString(file, "run=r1\ncommit=c\nqueue=kafka\ncores=2\nbrokers=3\nper-second=lots\np50-ms=1\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AsyncEnqueueRow.Figures.read(file));
        assertTrue(e.getMessage().contains("malformed"), e.getMessage());
        Files.writeString(file, "run=../../etc\ncommit=c\nqueue=kafka\ncores=2\nbrokers=3\nper-second=1\np50-ms=1\n");
        e = assertThrows(IllegalArgumentException.class, () -> AsyncEnqueueRow.Figures.read(file));
        assertTrue(e.getMessage().contains("run id"), e.getMessage());
    }

    @Test
    void theLastStepRewritesRow320OnlyWhenBothSectionsAreOfTheRun() throws IOException {
        ScratchDoc s = ScratchDoc.in(dir.resolve("repo"));
        String run = "20261208T021000Z-42";
        String doc0 = Files.readString(s.doc);
        String h2Section = AsyncEnqueueRow.section(doc0, AsyncBenchmark.HEADING).orElseThrow();
        String kafkaSection = AsyncEnqueueRow.section(doc0, KafkaAsyncBenchmark.HEADING).orElseThrow();
        BenchBlock.Row row = AsyncEnqueueRow.row(h2(run, "c", 1500, 8.25), kafka(run, "c", 3, 140, 101.2),
                "distribution/bench-async.sh");
        // only the H2 section is of this run (the Kafka part failed): nothing is written
        s.write(AsyncBenchmark.HEADING, AsyncEnqueueRow.runSentence(run) + "\n\n" + h2Section);
        byte[] partial = Files.readAllBytes(s.doc);
        List<String> why = AsyncEnqueueRow.writeRow(s.doc, row, run);
        assertEquals(1, why.size(), why.toString());
        assertTrue(why.getFirst().contains(KafkaAsyncBenchmark.HEADING), why.getFirst());
        assertArrayEquals(partial, Files.readAllBytes(s.doc), "the doc is untouched");
        // both sections of this run: row 320 and only it changes
        s.write(KafkaAsyncBenchmark.HEADING, AsyncEnqueueRow.runSentence(run) + "\n\n" + kafkaSection);
        Map<String, BenchBlock> before = s.blocks();
        List<String> table = s.readmeTable();
        assertEquals(List.of(), AsyncEnqueueRow.writeRow(s.doc, row, run));
        s.write(KafkaAsyncBenchmark.HEADING, AsyncEnqueueRow.section(Files.readString(s.doc), KafkaAsyncBenchmark.HEADING)
                .orElseThrow()); // regenerates the README's table, the section as it is
        s.assertOnlyRowsChanged(before, table, AsyncBenchmark.HEADING, List.of(row));
        assertEquals("| async enqueue with 16 clients, `h2` / `kafka` (three local brokers on the same 2 cores): 202s per"
                + " second, 202 p50 |  | 1,500/s, 8.3 ms / 140/s, 101 ms | `distribution/bench-async.sh` |",
                ScratchDoc.tableLine(s.blocks(), 320));
        // a later run's last step with the same doc but another id writes nothing
        assertEquals(2, AsyncEnqueueRow.writeRow(s.doc, row, "20261208T030000Z-7").size());
    }
}
