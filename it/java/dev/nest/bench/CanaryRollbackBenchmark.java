package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.artifact.PackageWriter;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * How fast a failing canary is rolled back: from the threshold crossing (the first failed canary request once the
 * step has its minimum of healthy ones: the error rate is then above the 1% limit) to the leader's decision (the
 * release's {@code updatedAt}), and from the decision to the rollback in force (the last canary answer seen). One
 * node in-process (it leads, and its own counters are read directly), Node.js on the process driver, both versions
 * warm; each round starts a release of version 2 at 50% and, once 20 canary requests succeeded, makes version 2 fail.
 * Writes its section of docs/BENCHMARKS.md. Limits: one node; the time for other nodes to see the write (their
 * catalog's ZooKeeper watch) is not in these figures.
 */
public final class CanaryRollbackBenchmark {
    static final String HEADING = "## Canary rollback takes effect";

    private CanaryRollbackBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.getInteger("nest.bench.rounds", 10);
        Path tmp = Files.createTempDirectory("nest-canary-bench");
        Path fns = Files.createDirectories(tmp.resolve("functions"));
        NestConfig config = NestConfig.defaults().withPort(0).withDataDir(tmp.resolve("data")).withFunctionsDir(fns)
                .withRuntimesDir(Path.of("runtimes").toAbsolutePath());
        try (NestServer server = BenchAuth.started(NestServer.start(config))) {
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Path code = Files.createDirectories(tmp.resolve("code"));
            Files.writeString(code.resolve("index.js"), "exports.handler = async (e, ctx) => {\n"
                    + "  if (ctx.functionVersion == process.env.FAILING && e.headers && e.headers['x-fail']) throw new Error('bad');\n"
                    + "  return { version: Number(ctx.functionVersion) };\n};\n");
            ByteArrayOutputStream zip = new ByteArrayOutputStream();
            PackageWriter.zip(code, zip);
            String digest = send(http, BenchAuth.request(URI.create(base + "/api/v1/artifacts"))
                    .header("Content-Type", "application/zip").POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray())))
                    .path("digest").asText();
            for (int v = 1; v <= 2; v++) {
                post(http, base + "/api/v1/functions/cb/versions", Map.of("spec", Map.of("runtime", "nodejs", "concurrency", 8,
                        "env", Map.of("FAILING", "2")), "digest", digest, "promote", v == 1));
            }
            List<Double> toDecision = new ArrayList<>();
            List<Double> toInForce = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                post(http, base + "/api/v1/functions/cb/releases", Map.of("to", 2, "steps", List.of(50, 100),
                        "interval", "30s", "min-requests", 20, "max-error-rate", "1%"));
                Thread.sleep(600); // the leader's first round opens the step's window
                int healthy = 0;
                while (healthy < 25) {
                    if (invoke(http, base, false) == 2) {
                        healthy++;
                    }
                }
                long crossing = 0;
                long lastCanary = 0;
                JsonNode rel = null;
                for (int i = 0; ; i++) {
                    long before = System.currentTimeMillis();
                    int v = invoke(http, base, true);
                    if (v == 2) {
                        crossing = crossing == 0 ? before : crossing;
                        lastCanary = System.currentTimeMillis();
                    }
                    if (i % 5 == 0) {
                        rel = send(http, BenchAuth.request(URI.create(base + "/api/v1/functions/cb/releases/current")).GET());
                        if (rel.path("state").asText().equals("rolled-back")) {
                            break;
                        }
                    }
                }
                long decision = Instant.parse(rel.path("updatedAt").asText()).toEpochMilli();
                for (int i = 0; i < 20; i++) {
                    if (invoke(http, base, true) != 1) {
                        throw new IllegalStateException("version 2 answered after the rollback was reported");
                    }
                }
                toDecision.add((double) (decision - crossing));
                toInForce.add((double) Math.max(0, lastCanary - decision));
            }
            Collections.sort(toDecision);
            Collections.sort(toInForce);
            String table = """
                    | figure | p50 | max | target |
                    |---|---:|---:|---|
                    | threshold crossing -> the leader's decision (all traffic to the stable version) | %.0f ms | %.0f ms | interval + 1 s |
                    | decision -> rollback in force on the node (last canary answer after the decision) | %.0f ms | %.0f ms | 500 ms |
                    """.formatted(pct(toDecision, 50), toDecision.getLast(), pct(toInForce, 50), toInForce.getLast());
            String body = "Measured " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors()
                    + " cores, JDK " + System.getProperty("java.runtime.version") + ", one node in-process (it leads) with"
                    + " the embedded defaults and the `process` driver.\n\nCommand: `distribution/bench-canary.sh` (" + rounds
                    + " releases of a Node.js function at 50%, `min-requests` 20, `max-error-rate` 1%; after 25 healthy canary"
                    + " requests every canary request fails; the crossing is the first failed one). The leader judges every"
                    + " 500 ms, so the decision comes within a round of the crossing; the write applies to this node's catalog"
                    + " before it returns. Other nodes follow through their ZooKeeper watch (not measured here).\n\n" + table;
            System.out.println(HEADING + "\n\n" + body);
            if (!"false".equals(System.getenv("NEST_BENCH_DOCS"))) {
                BenchmarksDoc.writeSection(Path.of("docs", "BENCHMARKS.md"), HEADING, body);
            }
        }
    }

    private static double pct(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** One invocation; the version that answered (2 for a failure: only version 2 fails). */
    private static int invoke(HttpClient http, String base, boolean fail) throws Exception {
        HttpRequest.Builder b = BenchAuth.request(URI.create(base + "/fn/cb")).GET();
        if (fail) {
            b.header("x-fail", "1");
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 500) {
            return 2;
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body()));
        }
        return Json.tree(r.body(), "response").path("version").asInt();
    }

    private static JsonNode post(HttpClient http, String url, Object body) throws Exception {
        return send(http, BenchAuth.request(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))));
    }

    private static JsonNode send(HttpClient http, HttpRequest.Builder b) throws Exception {
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body()));
        }
        return Json.tree(r.body(), "response");
    }
}
