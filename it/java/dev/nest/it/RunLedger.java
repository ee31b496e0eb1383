package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * Proof that a move of a function's placement fails and duplicates no request. Each request carries a number; the
 * function ({@link #nodeHandler(int)}, deployed with {@code RAN_DIR} set to {@link #dir()}) writes one file
 * {@code <n>-<uuid>} per execution and answers the number; the ledger records what came back
 * ({@link #call(IntFunction)}) and {@link #assertEachRanOnce()} checks that every request was answered with its own
 * number and ran exactly once.
 *
 * <p>The folder may be written by anyone: as root the process driver runs pods under uids of their own. Thread-safe:
 * clients call from several threads. {@link #close()} deletes the folder.
 */
public final class RunLedger implements AutoCloseable {
    private final Path dir;
    private final AtomicInteger seq = new AtomicInteger();
    private final Map<Integer, Integer> answered = Collections.synchronizedMap(new HashMap<>());
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    private RunLedger(Path dir) {
        this.dir = dir;
    }

    /** A ledger over a new temporary folder named after {@code prefix}. */
    public static RunLedger create(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        return new RunLedger(dir);
    }

    /** A Node.js handler that waits {@code delayMs} (0: none), records its run in {@code RAN_DIR} and answers {@code n}. */
    public static String nodeHandler(int delayMs) {
        return """
                const fs = require('fs');
                const crypto = require('crypto');
                exports.handler = async (event) => {
                  const n = String(Number(event.query.n));
                """
                + (delayMs > 0 ? "  await new Promise(r => setTimeout(r, " + delayMs + "));\n" : "")
                + """
                  fs.writeFileSync(process.env.RAN_DIR + '/' + n + '-' + crypto.randomUUID(), '');
                  return { n: Number(n) };
                };
                """;
    }

    public Path dir() {
        return dir;
    }

    /** Requests sent so far. */
    public int sent() {
        return seq.get();
    }

    /** Requests answered with their own number so far. */
    public int answered() {
        return answered.size();
    }

    /**
     * Sends the next request: {@code send} gets its number and returns the response (so a test picks the gateway and
     * the function); a 200 carrying that number counts as answered, anything else as a failure.
     */
    public void call(IntFunction<Http.Response> send) {
        int n = seq.incrementAndGet();
        Http.Response r = send.apply(n);
        if (r.status() == 200 && r.json().path("n").asInt(-1) == n) {
            answered.merge(n, 1, Integer::sum);
        } else {
            failures.add("request " + n + ": " + r);
        }
    }

    /** A virtual thread that calls {@code send} in a loop while {@code running} holds. */
    public Thread client(AtomicBoolean running, IntFunction<Http.Response> send) {
        return Thread.ofVirtual().start(() -> {
            while (running.get()) {
                call(send);
            }
        });
    }

    /** How many times each request number ran, from the function's files. */
    public Map<Integer, Integer> runs() {
        Map<Integer, Integer> out = new HashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(f -> {
                String name = f.getFileName().toString();
                out.merge(Integer.parseInt(name.substring(0, name.indexOf('-'))), 1, Integer::sum);
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** No failed request, every request answered once, and (once the files are all written) each ran exactly once. */
    public void assertEachRanOnce() {
        int sent = seq.get();
        assertEquals(List.of(), failures, "failed requests (" + failures.size() + " of " + sent + ")");
        assertEquals(sent, answered.size(), "every request answered once");
        Map<Integer, Integer> runs = Poll.until("a run recorded for every request", this::runs, r -> r.size() >= sent);
        List<String> duplicated = runs.entrySet().stream().filter(e -> e.getValue() != 1)
                .map(e -> "request " + e.getKey() + " ran " + e.getValue() + " times").toList();
        assertEquals(List.of(), duplicated, "duplicated requests");
        assertEquals(sent, runs.size(), "runs recorded: " + runs.size() + " for " + sent + " requests");
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }
}
