package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real Prometheus (Debian's {@code prometheus} package, 2.42) scrapes a node's {@code /metrics} every second on
 * loopback, with a viewer's bearer token; after invocations, PromQL over Prometheus's HTTP API gives the function a
 * positive request rate and a latency quantile from the histogram's buckets (which only parse when the exposition
 * follows the text format). The same invocations show in the node's monitoring report. Skips loudly without the
 * {@code prometheus} binary ({@code distribution/setup.sh} installs it); {@code NEST_REQUIRE_ENGINES=1} fails instead.
 */
class PrometheusIT {
    private static final String FN = "default/hello";

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node()
            .requires(Engines::requireNode)
            .requires(() -> Engines.require("Prometheus", Engines.onPath("prometheus").isPresent(),
                    "install Debian's prometheus package (distribution/setup.sh does)"))
            .functions(dir -> Fixtures.nodeFunction(dir, "hello", "", """
                    exports.handler = async (event) => ({ hello: event.query.who || 'world' });
                    """));
    static final Http http = node.http();
    private static Process prometheus;
    private final HttpClient client = HttpClient.newHttpClient();

    @AfterAll
    static void stopPrometheus() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                Fixtures.killTree(prometheus);
            }
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode query(int port, String promql) {
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = Http.JSON.readTree(r.body());
            assertEquals("success", body.path("status").asText(), r.body());
            return body.path("data").path("result");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static double value(JsonNode result) {
        return result.isEmpty() ? Double.NaN : Double.parseDouble(result.get(0).path("value").get(1).asText());
    }

    @Test
    void prometheusScrapesTheNodeAndPromqlGivesTheFunctionsRequestRate() throws Exception {
        Path dir = Files.createDirectories(node.scratch().resolve("prometheus"));
        String token = node.adminToken().orElseThrow();
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, token);
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: nest
                    metrics_path: /metrics
                    authorization:
                      type: Bearer
                      credentials_file: %s
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(tokenFile, node.server().port()));
        int port = freePort();
        prometheus = new ProcessBuilder(Engines.onPath("prometheus").orElseThrow().toString(),
                "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();

        assertEquals(200, http.get("/fn/hello?who=first").status());
        Poll.until("Prometheus scrapes the node (up == 1)", Duration.ofSeconds(60),
                () -> value(query(port, "up{job=\"nest\"}")), v -> v == 1.0);
        Poll.until("the first invocation in Prometheus", Duration.ofSeconds(30),
                () -> value(query(port, "nest_invocations_total{function=\"" + FN + "\",status=\"200\"}")),
                v -> v >= 1.0);
        int invoked = 1;
        for (int i = 0; i < 20; i++) {
            assertEquals(200, http.get("/fn/hello?who=n" + i).status());
            invoked++;
        }
        double rate = Poll.until("a positive request rate from PromQL", Duration.ofSeconds(60),
                () -> value(query(port, "sum(rate(nest_invocations_total{function=\"" + FN + "\"}[30s]))")),
                v -> v > 0);
        assertTrue(rate > 0, "rate " + rate);
        double p99 = Poll.until("a latency quantile from the histogram's buckets", Duration.ofSeconds(30),
                () -> value(query(port, "histogram_quantile(0.99, sum by (le) (rate("
                        + "nest_invocation_duration_seconds_bucket{function=\"" + FN + "\"}[30s])))")),
                v -> v > 0 && v <= 30);
        assertTrue(p99 > 0, "p99 " + p99);

        // the same invocations in the node's monitoring report
        JsonNode report = http.get("/api/v1/functions/hello/report?window=5m").json();
        assertEquals(invoked, report.at("/totals/requests").asInt(), report.toString());
        assertEquals(0, report.at("/totals/errors").asInt(), report.toString());
        assertTrue(report.at("/totals/p99").asDouble() > 0, report.toString());
        assertTrue(report.at("/totals/coldStarts").asInt() >= 1, report.toString());
        assertEquals(false, report.get("partial").asBoolean());
    }
}
