package dev.nest.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The H2 async queue's durability run: a node in its own process ({@link AsyncNodeProcess}), a Node.js function
 * that appends {@code "<invocation id> <start epoch ms>"} to a file outside the data directory ({@code O_APPEND},
 * then fsync), {@code invocations} async requests sent from {@code clients} threads, and the node {@code kill -9}ed
 * at {@code kills} random moments while they are sent and started again on the same data directory and port.
 * Clients retry connection failures and non-202 answers until the node is back, and keep only the ids of 202s.
 * Then it waits until every acknowledged id is in the file (or the file stops growing for 30 s, or
 * {@code drainTimeout} passes) and counts.
 *
 * <p>The file's directory is made 0777 and the file 0666 (the process driver runs each pod as its own uid when
 * Nest runs as root), and {@code dir} itself 0711 so pods can reach it (its parents must let others through too).
 * Not thread-safe; one run at a time per {@code dir}.
 */
public final class AsyncDurabilityRun {
    /** The function's name. */
    public static final String FUNCTION = "durable";

    /**
     * @param invocations  async requests that must be acknowledged (each is retried until it gets a 202)
     * @param clients      client threads
     * @param kills        {@code kill -9} + restart of the node while sending
     * @param seed         picks the moments of the kills
     * @param drainTimeout longest wait for the queue to drain after the last send
     */
    public record Settings(int invocations, int clients, int kills, long seed, Duration drainTimeout) {
    }

    /**
     * @param acknowledged        ids that got a 202
     * @param executed            acknowledged ids found in the file
     * @param duplicates          extra runs of acknowledged ids (a line beyond the first for the same id)
     * @param lost                acknowledged ids never run (must be 0)
     * @param unacknowledgedRuns  ids in the file that got no 202 (stored when the node died before answering, and
     *                            the warm-up call)
     * @param kills               kills done
     * @param retriedRequests     requests sent again after a connection failure or a non-202 answer
     * @param sendSeconds         from the first request to the last 202
     * @param drainSeconds        from the last 202 to every acknowledged id in the file
     * @param accept202Millis     latency of each 202 (including the ones that waited for a restart: see retries)
     * @param lostSample          up to 20 lost ids
     */
    public record Result(int acknowledged, int executed, int duplicates, int lost, int unacknowledgedRuns, int kills,
                         int retriedRequests, double sendSeconds, double drainSeconds, List<Double> accept202Millis,
                         List<String> lostSample) {
        public String summary() {
            return ("acknowledged=%d executed=%d duplicates=%d lost=%d unacknowledged-runs=%d kills=%d retried=%d"
                    + " send=%.1fs drain=%.1fs").formatted(acknowledged, executed, duplicates, lost, unacknowledgedRuns, kills, retriedRequests,
                            sendSeconds, drainSeconds);
        }
    }

    private AsyncDurabilityRun() {
    }

    /**
     * Makes {@code dir/out/<name>.log} writable by any pod (and {@code dir} 0711; its parents must let others
     * through) and writes the function that appends to it into {@code functionsDir}; returns the file.
     */
    public static Path writeAppendingFunction(Path dir, Path functionsDir, String name) {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            Path out = Files.createDirectories(dir.resolve("out"));
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path file = out.resolve(name + ".log");
            Files.deleteIfExists(file);
            Files.createFile(file);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
            String js = """
                    const fs = require('fs');
                    const FILE = %s;
                    exports.handler = async (event, context) => {
                      const started = Date.now();
                      const fd = fs.openSync(FILE, 'a');
                      try {
                        fs.writeSync(fd, context.invocationId + ' ' + started + '\\n');
                        fs.fsyncSync(fd);
                      } finally {
                        fs.closeSync(fd);
                      }
                      return { ok: true };
                    };
                    """.formatted(Http.JSON.writeValueAsString(file.toString()));
            Fixtures.nodeFunction(functionsDir, name, "async:\n  retries: 10\n", js);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's lines as id to start times (epoch ms), in file order; a torn last line is skipped. */
    public static Map<String, List<Long>> runs(Path file) {
        Map<String, List<Long>> runs = new HashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] parts = line.trim().split(" ");
                if (parts.length == 2) {
                    try {
                        runs.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(Long.parseLong(parts[1]));
                    } catch (NumberFormatException e) {
                        // a torn line
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return runs;
    }

    /** An HTTP/1.1 client for async requests. */
    public static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    }

    /**
     * One async request to {@code base/fn/function}: the invocation id of a 202, empty for another answer.
     *
     * @throws IOException when the connection fails (the node is down)
     */
    public static Optional<String> sendAsync(HttpClient client, String base, String function, String body)
            throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/fn/" + function))
                .timeout(Duration.ofSeconds(30)).header("X-Nest-Invocation-Type", "async")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 202) {
            return Optional.empty();
        }
        JsonNode json = Http.JSON.readTree(r.body());
        return Optional.of(json.path("invocationId").asText());
    }

    /** Calls the function synchronously until it answers 200 (it is deployed and a pod runs it). */
    public static void warmUp(HttpClient client, String base, String function, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/fn/" + function))
                        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            AsyncNodeProcess.sleep(200);
        }
        throw new IllegalStateException("function " + function + " did not answer 200 within " + timeout + ": " + last);
    }

    /** Runs the whole scenario in {@code dir} (a fresh node home) and returns its figures; {@code log} gets progress. */
    public static Result run(Path dir, Settings s, PrintStream log) throws InterruptedException {
        try (AsyncNodeProcess node = AsyncNodeProcess.create(dir.resolve("node"))) {
            Path file = writeAppendingFunction(dir, node.functionsDir(), FUNCTION);
            node.launch();
            HttpClient warm = client();
            warmUp(warm, node.base(), FUNCTION, Duration.ofSeconds(60));
            Random random = new Random(s.seed());
            List<Integer> moments = new ArrayList<>();
            for (int i = 0; i < s.kills(); i++) {
                moments.add(s.invocations() / 10 + random.nextInt(Math.max(1, s.invocations() * 8 / 10)));
            }
            Collections.sort(moments);
            log.println("async durability: " + s + ", kills after about " + moments + " requests");

            Set<String> acked = ConcurrentHashMap.newKeySet();
            List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger next = new AtomicInteger();
            AtomicInteger retried = new AtomicInteger();
            AtomicInteger killsDone = new AtomicInteger();
            AtomicLong lastAck = new AtomicLong(System.nanoTime());
            long sendDeadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            long t0 = System.nanoTime();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < s.clients(); c++) {
                clients.add(Thread.ofPlatform().name("async-client-" + c).start(() -> {
                    HttpClient http = client();
                    int i;
                    while ((i = next.getAndIncrement()) < s.invocations()) {
                        while (System.nanoTime() < sendDeadline) {
                            long start = System.nanoTime();
                            try {
                                Optional<String> id = sendAsync(http, node.base(), FUNCTION, "{\"n\":" + i + "}");
                                if (id.isPresent()) {
                                    acked.add(id.get());
                                    latencies.add((System.nanoTime() - start) / 1e6);
                                    lastAck.set(System.nanoTime());
                                    break;
                                }
                            } catch (IOException e) {
                                // the node is down or restarting
                            } catch (InterruptedException e) {
                                return;
                            }
                            retried.incrementAndGet();
                            AsyncNodeProcess.sleep(100);
                        }
                    }
                }));
            }
            for (int moment : moments) {
                while (next.get() < moment && clients.stream().anyMatch(Thread::isAlive)) {
                    Thread.sleep(5);
                }
                if (next.get() >= s.invocations()) {
                    break;
                }
                Thread.sleep(random.nextInt(200));
                node.kill();
                killsDone.incrementAndGet();
                log.println("async durability: kill -9 after " + acked.size() + " acknowledged; restarting");
                long r0 = System.nanoTime();
                node.launch();
                log.printf("async durability: restarted in %.1f s%n", (System.nanoTime() - r0) / 1e9);
            }
            for (Thread t : clients) {
                t.join();
            }
            double sendSeconds = (lastAck.get() - t0) / 1e9;
            log.printf("async durability: %d acknowledged in %.1f s; waiting for the queue to drain%n", acked.size(), sendSeconds);

            long d0 = System.nanoTime();
            long drainDeadline = d0 + s.drainTimeout().toNanos();
            long lastSize = -1;
            long lastGrowth = System.nanoTime();
            while (System.nanoTime() < drainDeadline) {
                long size = fileSize(file);
                if (size != lastSize) {
                    lastSize = size;
                    lastGrowth = System.nanoTime();
                }
                Map<String, List<Long>> runs = runs(file);
                if (runs.keySet().containsAll(acked)) {
                    break;
                }
                if (System.nanoTime() - lastGrowth > Duration.ofSeconds(30).toNanos()) {
                    log.println("async durability: the file stopped growing for 30 s");
                    break;
                }
                Thread.sleep(250);
            }
            double drainSeconds = (System.nanoTime() - d0) / 1e9;
            // late repeats (a delivery whose ack was lost) still count as duplicates: wait until it is quiet for 2 s
            long quietDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            long size = fileSize(file);
            long stableSince = System.nanoTime();
            while (System.nanoTime() < quietDeadline && System.nanoTime() - stableSince < Duration.ofSeconds(2).toNanos()) {
                Thread.sleep(200);
                long now = fileSize(file);
                if (now != size) {
                    size = now;
                    stableSince = System.nanoTime();
                }
            }
            Map<String, List<Long>> runs = runs(file);
            int executed = 0;
            int duplicates = 0;
            List<String> lost = new ArrayList<>();
            for (String id : acked) {
                List<Long> r = runs.get(id);
                if (r == null) {
                    lost.add(id);
                } else {
                    executed++;
                    duplicates += r.size() - 1;
                }
            }
            int unacknowledged = (int) runs.keySet().stream().filter(id -> !acked.contains(id)).count();
            Result result = new Result(acked.size(), executed, duplicates, lost.size(), unacknowledged, killsDone.get(),
                    retried.get(), sendSeconds, drainSeconds, List.copyOf(latencies),
                    lost.stream().sorted().limit(20).toList());
            log.println("async durability: " + result.summary());
            if (!lost.isEmpty()) {
                log.println("async durability: lost (sample) " + result.lostSample() + "\nserver log tail:\n" + node.logTail());
            }
            return result;
        }
    }

    private static long fileSize(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
