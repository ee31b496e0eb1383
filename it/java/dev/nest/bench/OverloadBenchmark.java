package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import dev.nest.it.Fixtures;
import dev.nest.it.OverloadRun;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Goodput under overload: a 100 ms Node.js function with two instances of concurrency 1 (capacity 20 requests a
 * second; at most 2 requests may wait, for at most 1 s) is measured unloaded (one request at a time), then offered 10
 * times its capacity open-loop from loopback for {@code nest.bench.seconds} (15). Reports the statuses, the goodput
 * against capacity (target: at least 90%), the successes' p50/p99 against the unloaded ones (target: p99 at most
 * twice), the successes in each second, and whether every 429/503 carried {@code Retry-After}. Runs the node
 * in-process with the {@code process} driver; writes its section of docs/BENCHMARKS.md.
 */
public final class OverloadBenchmark {
    static final String HEADING = "## Overload: goodput at 10x capacity";

    private OverloadBenchmark() {
    }

    /**
     * Row 45 from the run's offered load ({@code factor} times the capacity for {@code seconds}), goodput in percent of
     * the capacity, admitted p99 over unloaded p99, and the refusals without a matching hint out of all refusals.
     */
    static BenchBlock.Row row(double factor, int seconds, double goodputPercent, double p99Ratio, int withoutHint,
                              int refusals) {
        return BenchBlock.row(45, String.format(java.util.Locale.ROOT, "overload: a 100 ms function (2 instances of "
                        + "concurrency 1: capacity 20 req/s) offered %.0fx its capacity open-loop for %d s: goodput / "
                        + "capacity; admitted p99 / unloaded p99; 429s and 503s without a matching `Retry-After`", factor,
                seconds), ">= 90%; <= 2x; 0", "`distribution/bench-overload.sh`", "%.0f%%; %.2fx; %d (of %d refusals)",
                goodputPercent, p99Ratio, withoutHint, refusals);
    }

    public static void main(String[] args) throws Exception {
        int seconds = Integer.getInteger("nest.bench.seconds", 15);
        double factor = Double.parseDouble(System.getProperty("nest.bench.factor", "10"));
        Path tmp = Files.createTempDirectory("nest-overload-bench");
        Path fns = Files.createDirectories(tmp.resolve("functions"));
        Fixtures.nodeFunction(fns, "slow", OverloadRun.SLOW_SPEC, OverloadRun.SLOW_CODE);
        NestConfig config = NestConfig.defaults().withPort(0).withDataDir(tmp.resolve("data")).withFunctionsDir(fns)
                .withRuntimesDir(Path.of("runtimes").toAbsolutePath());
        try (NestServer server = BenchAuth.started(NestServer.start(config))) {
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            awaitReady(http, base);
            URI fn = URI.create(base + "/fn/slow");
            List<Double> unloaded = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                long t0 = System.nanoTime();
                HttpResponse<byte[]> r = http.send(BenchAuth.request(fn).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("unloaded call answered " + r.statusCode());
                }
                unloaded.add((System.nanoTime() - t0) / 1e6);
            }
            Collections.sort(unloaded);
            double offered = factor * OverloadRun.CAPACITY;
            OverloadRun.Result r = OverloadRun.run(http, fn, offered, Duration.ofSeconds(seconds), Duration.ofSeconds(60));
            double u50 = OverloadRun.percentile(unloaded, 50);
            double u99 = OverloadRun.percentile(unloaded, 99);
            double share = 100 * r.goodput() / OverloadRun.CAPACITY;
            double ratio = r.successPercentile(99) / u99;
            String table = """
                    | figure | value | target |
                    |---|---:|---|
                    | offered load | %.0f req/s for %d s (%d requests; %.0fx capacity) | |
                    | answers by status | %s | 2xx, 429, 503 only |
                    | goodput (2xx per second) | %.1f req/s = **%.0f%%** of capacity (%.0f req/s) | >= 90%% |
                    | 2xx latency under overload, p50 / p99 | %.0f ms / %.0f ms | |
                    | unloaded latency (one at a time, 200 calls), p50 / p99 | %.0f ms / %.0f ms | |
                    | admitted p99 / unloaded p99 | **%.2fx** | <= 2x |
                    | 2xx in each second of the run | %s | no empty second |
                    | 429/503 without a matching `Retry-After` and `retryAfterSeconds` | %d | 0 |
                    """.formatted(offered, seconds, r.sent(), factor, r.statuses(), r.goodput(), share,
                    OverloadRun.CAPACITY, r.successPercentile(50), r.successPercentile(99), u50, u99, ratio,
                    Arrays.toString(r.successesPerSecond()), r.refusalsWithoutHint().size());
            String body = "Measured " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors()
                    + " cores, JDK " + System.getProperty("java.runtime.version") + ", the node in-process with the"
                    + " embedded defaults and the `process` driver; the load generator (open loop, JDK HttpClient) in the"
                    + " same JVM, on loopback.\n\nCommand: `distribution/bench-overload.sh`. The function: Node.js, 100 ms"
                    + " per request (`setTimeout`), `concurrency: 1`, `scaling: {min: 2, max: 2}` (both instances warm),"
                    + " `queue: {size: 2, timeout: 1s}`: capacity 20 req/s. The same setup is `it/OverloadIT`, which"
                    + " asserts the facts only (every refusal has `Retry-After`, no 5xx but 503, some successes).\n\n"
                    + table + BenchBlock.tail(List.of(), List.of(row(factor, seconds, share, ratio,
                    r.refusalsWithoutHint().size(), r.count(429) + r.count(503))));
            System.out.println(HEADING + "\n\n" + body);
            if (!"false".equals(System.getenv("NEST_BENCH_DOCS"))) {
                BenchmarksDoc.writeSection(Path.of("docs", "BENCHMARKS.md"), HEADING, body);
            }
        }
    }

    private static void awaitReady(HttpClient http, String base) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < until) {
            HttpResponse<byte[]> r = http.send(BenchAuth.request(URI.create(base + "/api/v1/functions/slow/instances"))
                    .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() == 200) {
                int ready = 0;
                for (JsonNode i : Json.tree(r.body(), "instances")) {
                    if ("READY".equalsIgnoreCase(i.path("state").asText())) {
                        ready++;
                    }
                }
                if (ready >= 2) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the two instances of slow did not become ready within 60 s");
    }
}
