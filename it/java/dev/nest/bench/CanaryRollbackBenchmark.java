package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.artifact.PackageWriter;
import dev.nest.common.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.test.TestingServer;

/**
 * How fast a failing canary is rolled back on every node of a two-node cluster: two Nest processes (127.0.0.1 and
 * .2, one region, the {@code process} driver, Node.js) on a ZooKeeper server in this JVM. Each round starts a release
 * of version 2 at 50% (min-requests 20, max-error-rate 1%, interval 30 s); one client thread per node invokes the
 * function through that node without pause; once 25 canary requests succeeded cluster-wide, every canary request
 * fails. Figures: from the threshold crossing (the first failed canary request sent; the error rate is then above
 * 1%) to the leader's decision (the release's {@code updatedAt}); and from the decision to the rollback in force on
 * every node (per node, the reception of the last canary answer whose request was sent after the decision, 0 when
 * none; the round's figure is the later node). The decision needs the other node's counts, which reach the leader
 * with its load reports. Writes its section of docs/BENCHMARKS.md ({@code NEST_BENCH_DOCS=false}: print only).
 * Limits: one machine (clocks shared); both nodes' counters are as current as their last report.
 */
public final class CanaryRollbackBenchmark {
    static final String HEADING = "## Canary rollback takes effect";
    private static final String FN = "cb";

    private final ChildProcesses children = new ChildProcesses();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final List<String> bases = new ArrayList<>();

    private CanaryRollbackBenchmark() {
    }

    /** One client per node: its canary answers and failures, for one round at a time. */
    private final class Client implements Runnable {
        final String base;
        final AtomicBoolean failing;
        final AtomicInteger healthyCanary;
        final AtomicLong firstFailureSent = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong decision = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong lastCanaryAfterDecision = new AtomicLong(0);
        volatile boolean stop;
        volatile Exception error;

        Client(String base, AtomicBoolean failing, AtomicInteger healthyCanary) {
            this.base = base;
            this.failing = failing;
            this.healthyCanary = healthyCanary;
        }

        @Override
        public void run() {
            try {
                while (!stop) {
                    boolean fail = failing.get();
                    long sent = System.currentTimeMillis();
                    int v = invoke(base, fail);
                    long received = System.currentTimeMillis();
                    if (v == 2 && fail) {
                        firstFailureSent.accumulateAndGet(sent, Math::min);
                    } else if (v == 2) {
                        healthyCanary.incrementAndGet();
                    }
                    if (v == 2 && sent >= decision.get()) {
                        lastCanaryAfterDecision.set(received);
                    }
                }
            } catch (Exception e) {
                error = e;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        String load0 = Machine.loadAverage();
        int rounds = Integer.getInteger("nest.bench.rounds", 10);
        for (String name : List.of("org.apache.zookeeper", "org.apache.curator")) {
            java.util.logging.Logger.getLogger(name).setLevel(java.util.logging.Level.SEVERE);
        }
        CanaryRollbackBenchmark b = new CanaryRollbackBenchmark();
        Runtime.getRuntime().addShutdownHook(new Thread(b.children::close));
        Path dir = Files.createTempDirectory("nest-canary-bench");
        String body;
        try (TestingServer zk = new TestingServer(true)) {
            try {
                b.startNodes(dir, zk.getConnectString());
                body = b.measure(dir, rounds, load0);
            } finally {
                b.children.close();
            }
        }
        System.out.println(HEADING + "\n\n" + body);
        if (!"false".equals(System.getenv("NEST_BENCH_DOCS"))) {
            BenchmarksDoc.writeSection(Path.of("docs", "BENCHMARKS.md"), HEADING, body);
        }
        System.exit(0);
    }

    private void startNodes(Path dir, String zookeeper) throws IOException {
        String[][] layout = {{"n1", "127.0.0.1"}, {"n2", "127.0.0.2"}};
        for (int i = 0; i < layout.length; i++) {
            Path home = Files.createDirectories(dir.resolve(layout[i][0]));
            int port = dev.nest.it.Fixtures.freePort(layout[i][1]);
            int pods = 45_000 + i * 1_000;
            dev.nest.it.Fixtures.writeNodeConfig(home, layout[i][0], layout[i][1], port, "zone-a", "bench-canary",
                    zookeeper, Duration.ofSeconds(15), Duration.ofSeconds(5), pods + "-" + (pods + 999));
            List<String> argv = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                    "dev.nest.Main", "server", "--config", home.resolve("nest.yaml").toString());
            Process p = children.start("nest " + layout[i][0], argv, BenchAuth.childEnv(), home, home.resolve("server.log"));
            String base = "http://" + layout[i][1] + ":" + port;
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (status(base + "/health") != 200) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("node " + layout[i][0] + " did not start:\n"
                            + ChildProcesses.tail(home.resolve("server.log"), 40));
                }
                BenchHttp.sleep(50);
            }
            bases.add(base);
        }
    }

    private String measure(Path dir, int rounds, String load0) throws Exception {
        String first = bases.getFirst();
        Path code = Files.createDirectories(dir.resolve("code"));
        Files.writeString(code.resolve("index.js"), "exports.handler = async (e, ctx) => {\n"
                + "  if (ctx.functionVersion == process.env.FAILING && e.headers && e.headers['x-fail']) throw new Error('bad');\n"
                + "  return { version: Number(ctx.functionVersion) };\n};\n");
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        PackageWriter.zip(code, zip);
        String digest = send(BenchAuth.request(URI.create(first + "/api/v1/artifacts"))
                .header("Content-Type", "application/zip").POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray())))
                .path("digest").asText();
        for (int v = 1; v <= 2; v++) {
            post(first + "/api/v1/functions/" + FN + "/versions", Map.of("spec", Map.of("runtime", "nodejs", "deploy", "dedicated", "concurrency", 8,
                    "env", Map.of("FAILING", "2")), "digest", digest, "promote", v == 1));
        }
        for (String base : bases) { // both versions warm on both nodes
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            boolean one = false;
            boolean two = false;
            while (!(one && two)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("versions 1 and 2 are not both served through " + base);
                }
                one |= invoke(base + "/fn/" + FN + "@1", false) == 1;
                two |= invoke(base + "/fn/" + FN + "@2", false) == 2;
            }
        }
        List<Double> toDecision = new ArrayList<>();
        List<Double> toInForce = new ArrayList<>();
        List<Double> crossingToEveryNode = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            post(first + "/api/v1/functions/" + FN + "/releases", Map.of("to", 2, "steps", List.of(50, 100),
                    "interval", "30s", "min-requests", 20, "max-error-rate", "1%"));
            Thread.sleep(1_000); // every node's catalog has the split; the leader's first round opened the window
            AtomicBoolean failing = new AtomicBoolean(false);
            AtomicInteger healthy = new AtomicInteger();
            List<Client> clients = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (String base : bases) {
                Client c = new Client(base + "/fn/" + FN, failing, healthy);
                clients.add(c);
                threads.add(Thread.ofPlatform().name("canary-client").start(c));
            }
            while (healthy.get() < 25) {
                Thread.sleep(5);
            }
            failing.set(true);
            JsonNode rel;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            do {
                Thread.sleep(20);
                rel = send(BenchAuth.request(URI.create(first + "/api/v1/functions/" + FN + "/releases/current")).GET());
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no rollback within 60 s: " + rel);
                }
            } while (!rel.path("state").asText().equals("rolled-back"));
            long decision = Instant.parse(rel.path("updatedAt").asText()).toEpochMilli();
            clients.forEach(c -> c.decision.set(decision));
            Thread.sleep(1_500); // late canary answers, if any, arrive within this
            clients.forEach(c -> c.stop = true);
            for (Thread t : threads) {
                t.join();
            }
            long crossing = Long.MAX_VALUE;
            long inForce = 0;
            for (Client c : clients) {
                if (c.error != null) {
                    throw c.error;
                }
                crossing = Math.min(crossing, c.firstFailureSent.get());
                inForce = Math.max(inForce, Math.max(0, c.lastCanaryAfterDecision.get() - decision));
            }
            toDecision.add((double) (decision - crossing));
            toInForce.add((double) inForce);
            crossingToEveryNode.add((double) (decision + inForce - crossing));
        }
        Collections.sort(toDecision);
        Collections.sort(toInForce);
        Collections.sort(crossingToEveryNode);
        String table = """
                | figure | p50 | max | target |
                |---|---:|---:|---|
                | threshold crossing -> the leader's decision (all traffic to the stable version) | %.0f ms | %.0f ms | |
                | decision -> rollback in force on every node (last canary answer to a request sent after the decision) | %.0f ms | %.0f ms | 500 ms |
                | threshold crossing -> rollback in force on every node | %.0f ms | %.0f ms | interval (30 s) + 1 s |
                """.formatted(pct(toDecision, 50), toDecision.getLast(), pct(toInForce, 50), toInForce.getLast(),
                pct(crossingToEveryNode, 50), crossingToEveryNode.getLast());
        List<BenchBlock.Row> rows = rows(rounds, crossingToEveryNode, toInForce);
        return "Measured " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors()
                + " cores, JDK " + System.getProperty("java.runtime.version") + ", two Nest processes (one region, the"
                + " `process` driver) on one ZooKeeper server, both on this machine." + Machine.loadSentence(load0)
                + "\n\nCommand: `distribution/bench-canary.sh` ("
                + rounds + " releases of a Node.js function at 50%, `min-requests` 20, `max-error-rate` 1%, `interval` 30 s;"
                + " one client per node invokes through that node without pause; after 25 healthy canary requests every"
                + " canary request fails; the crossing is the first failed one sent). The leader judges every 500 ms on"
                + " the counts of both nodes (the other node's come with its load reports); its one write of the head"
                + " reaches the other node through its catalog's ZooKeeper watch.\n\n" + table
                + BenchBlock.tail(List.of(), rows);
    }

    /**
     * Row 180 from the rounds' figures (ms): threshold crossing to rollback in force on every node, and decision to
     * rollback in force on every node, each p50 (max), as the section's table gives them.
     */
    static List<BenchBlock.Row> rows(int rounds, List<Double> crossingToEveryNode, List<Double> decisionToEveryNode) {
        if (crossingToEveryNode.isEmpty() || decisionToEveryNode.isEmpty()) {
            return List.of();
        }
        crossingToEveryNode = crossingToEveryNode.stream().sorted().toList();
        decisionToEveryNode = decisionToEveryNode.stream().sorted().toList();
        return List.of(BenchBlock.row(180, "failing canary, two nodes: threshold crossing to rollback in force on every "
                        + "node / decision to rollback in force on every node, p50 (max) of " + rounds + " rounds",
                "interval + 1 s / 500 ms", "`distribution/bench-canary.sh`", "%.0f ms (%.0f ms) / %.0f ms (%.0f ms)",
                pct(crossingToEveryNode, 50), crossingToEveryNode.getLast(), pct(decisionToEveryNode, 50),
                decisionToEveryNode.getLast()));
    }

    private static double pct(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** One invocation of {@code url}; the version that answered (2 for a failure: only version 2 fails). */
    private int invoke(String url, boolean fail) throws Exception {
        HttpRequest.Builder b = BenchAuth.request(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        if (fail) {
            b.header("x-fail", "1");
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 500) {
            return 2;
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException(url + ": HTTP " + r.statusCode() + ": " + new String(r.body()));
        }
        return Json.tree(r.body(), "response").path("version").asInt();
    }

    private int status(String url) {
        try {
            return http.send(BenchAuth.request(URI.create(url)).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private JsonNode post(String url, Object body) throws Exception {
        return send(BenchAuth.request(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))));
    }

    private JsonNode send(HttpRequest.Builder b) throws Exception {
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body()));
        }
        return Json.tree(r.body(), "response");
    }
}
