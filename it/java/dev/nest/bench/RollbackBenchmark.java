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
 * How fast a deploy and a rollback take effect: the admin call's latency, and the call plus the first
 * invocation that must already see the new live version (a Node.js function on the process driver, both
 * versions warm, as after a recent deploy). Runs a node in-process; writes its section of docs/BENCHMARKS.md.
 */
public final class RollbackBenchmark {
    static final String HEADING = "## Deploy and rollback take effect";

    private RollbackBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.getInteger("nest.bench.rounds", 50);
        int deploys = Integer.getInteger("nest.bench.deploys", 20);
        if (deploys < 1 || rounds < 1) {
            throw new IllegalArgumentException("nest.bench.deploys and nest.bench.rounds: at least 1, got " + deploys
                    + " and " + rounds);
        }
        Path tmp = Files.createTempDirectory("nest-rollback-bench");
        Path fns = Files.createDirectories(tmp.resolve("functions"));
        NestConfig config = NestConfig.defaults().withPort(0).withDataDir(tmp.resolve("data")).withFunctionsDir(fns)
                .withRuntimesDir(Path.of("runtimes").toAbsolutePath());
        String loadBefore = Machine.loadAverage();
        try (NestServer server = BenchAuth.started(NestServer.start(config))) {
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            Path code = Files.createDirectories(tmp.resolve("code"));
            Files.writeString(code.resolve("index.js"), "exports.handler = async () => ({v: process.env.V});\n");
            ByteArrayOutputStream zip = new ByteArrayOutputStream();
            PackageWriter.zip(code, zip);
            String digest = send(http, BenchAuth.request(URI.create(base + "/api/v1/artifacts"))
                    .header("Content-Type", "application/zip").POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray())))
                    .path("digest").asText();
            List<Double> deploy = new ArrayList<>();
            List<Double> deployVisible = new ArrayList<>();
            for (int v = 1; v <= 2; v++) {
                long t0 = System.nanoTime();
                post(http, base + "/api/v1/functions/rb/versions", Map.of("spec", Map.of("runtime", "nodejs", "deploy", "dedicated", "concurrency", 8,
                        "env", Map.of("V", String.valueOf(v))), "digest", digest));
                double call = (System.nanoTime() - t0) / 1e6;
                expect(http, base, String.valueOf(v));
                deploy.add(call);
                deployVisible.add((System.nanoTime() - t0) / 1e6);
            }
            List<Double> rollback = new ArrayList<>();
            List<Double> visible = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                int to = i % 2 == 0 ? 1 : 2;
                long t0 = System.nanoTime();
                post(http, base + "/api/v1/functions/rb/rollback", Map.of("to", to));
                rollback.add((System.nanoTime() - t0) / 1e6);
                expect(http, base, String.valueOf(to));
                visible.add((System.nanoTime() - t0) / 1e6);
            }
            // deploy to invocable: each sample a new version (changed env) and its first request, a cold start; the
            // first deploy of the function (above) is reported apart. A short keep-alive lets the versions left behind
            // go, so that the samples do not accumulate idle hosts.
            List<Double> deployCall = new ArrayList<>();
            List<Double> deployServed = new ArrayList<>();
            for (int d = 1; d <= deploys; d++) {
                String v = "d" + d;
                long t0 = System.nanoTime();
                post(http, base + "/api/v1/functions/rb/versions", Map.of("spec", Map.of("runtime", "nodejs", "deploy", "dedicated", "concurrency", 8,
                        "env", Map.of("V", v), "scaling", Map.of("keep-alive", "2s")), "digest", digest));
                deployCall.add((System.nanoTime() - t0) / 1e6);
                expect(http, base, v);
                deployServed.add((System.nanoTime() - t0) / 1e6);
            }
            Collections.sort(deployCall);
            Collections.sort(deployServed);
            Collections.sort(rollback);
            Collections.sort(visible);
            String table = """
                    | figure | p50 | p99 | max |
                    |---|---:|---:|---:|
                    | rollback: `POST /api/v1/functions/{name}/rollback` answered | %.1f ms | %.1f ms | %.1f ms |
                    | rollback answered + first invocation served by the rolled-back version | %.1f ms | %.1f ms | %.1f ms |
                    | deploy of a new version (`POST .../versions`) answered, %d deploys | %.1f ms | %.1f ms | %.1f ms |
                    | deploy answered + first invocation served by the new version (a cold start) | %.1f ms | %.1f ms | %.1f ms |
                    | the function's first deploy and its first invocation (not in the rows above) | %.1f ms, %.1f ms | | |
                    """.formatted(pct(rollback, 50), pct(rollback, 99), rollback.getLast(), pct(visible, 50), pct(visible, 99),
                    visible.getLast(), deploys, pct(deployCall, 50), pct(deployCall, 99), deployCall.getLast(),
                    pct(deployServed, 50), pct(deployServed, 99), deployServed.getLast(), deploy.get(0), deployVisible.get(0))
                    + BenchBlock.tail(List.of(), rows(deployCall, deployServed, rollback, visible));
            String body = "Measured " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors()
                    + " cores, JDK " + System.getProperty("java.runtime.version") + ", the node in-process with the embedded"
                    + " defaults and the `process` driver. Load average before / after: " + loadBefore + " / "
                    + Machine.loadAverage() + " (other work shares the cores).\n\nCommand: `distribution/bench-rollback.sh` (" + rounds
                    + " rollbacks alternating between two warm versions of a Node.js function; each is followed at once by"
                    + " an invocation that must return the rolled-back version's answer, checked; then " + deploys
                    + " deploys of a new version, each followed by its first invocation, checked; options"
                    + " `-Dnest.bench.rounds=N -Dnest.bench.deploys=N`).\n\n" + table;
            System.out.println(HEADING + "\n\n" + body);
            if (!"false".equals(System.getenv("NEST_BENCH_DOCS"))) {
                BenchmarksDoc.writeSection(Path.of("docs", "BENCHMARKS.md"), HEADING, body);
            }
        }
    }

    /**
     * Rows 160 (deploy answered / first request served by the new version) and 170 (rollback answered / next request
     * served by the old version) from the run's samples in ms, sorted, p50 (p99) as the section's table gives them.
     */
    static List<BenchBlock.Row> rows(List<Double> deployCall, List<Double> deployServed, List<Double> rollback,
                                     List<Double> visible) {
        String cmd = "`distribution/bench-rollback.sh`";
        return List.of(BenchBlock.row(160, "deploy to invocable on the node: `POST .../versions` answered / answered and "
                        + "the first request served by the new version, p50 (p99) of " + deployCall.size() + " deploys",
                        "< 1 s", cmd, "%.0f ms (%.0f ms) / %.0f ms (%.0f ms)", pct(deployCall, 50), pct(deployCall, 99),
                        pct(deployServed, 50), pct(deployServed, 99)),
                BenchBlock.row(170, "rollback answered / answered and the next request served by the old version, p50 "
                        + "(p99) of " + rollback.size() + " rollbacks", "well under 1 s", cmd,
                        "%.0f ms (%.0f ms) / %.0f ms (%.0f ms)", pct(rollback, 50), pct(rollback, 99), pct(visible, 50),
                        pct(visible, 99)));
    }

    private static double pct(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static void expect(HttpClient http, String base, String v) throws Exception {
        HttpResponse<byte[]> r = http.send(BenchAuth.request(URI.create(base + "/fn/rb")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        String got = Json.tree(r.body(), "response").path("v").asText();
        if (!got.equals(v)) {
            throw new IllegalStateException("the first invocation after the change answered version " + got + ", not " + v);
        }
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
