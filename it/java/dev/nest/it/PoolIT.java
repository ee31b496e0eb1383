package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Warm pools on a real node with the process driver and the Node.js host: a cold start specializes a pool pod,
 * the pool refills, sizes change through the API, the metrics show it, and a rollback after the function's own
 * keep-alive is still warm thanks to {@code sidecar.previous-version-keep-alive}.
 */
class PoolIT {
    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode).settings("""
            sidecar:
              pool: {nodejs: 1, java: 0}
              pool-idle: 10m
              previous-version-keep-alive: 10m
            """);
    static final Http http = node.http();

    static JsonNode pool(String runtime) {
        for (JsonNode p : http.get("/api/v1/pools").json()) {
            if (p.path("runtime").asText().equals(runtime)) {
                return p;
            }
        }
        throw new AssertionError("no pool " + runtime + " in " + http.get("/api/v1/pools").text());
    }

    static Http.Response resize(String runtime, String body) {
        return http.send(http.request("/api/v1/pools/" + runtime).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    @Test
    void aColdStartSpecializesAPoolPodAndThePoolRefills() {
        Poll.until("the nodejs pool to fill", () -> pool("nodejs"), p -> p.path("ready").asInt() == 1);
        assertEquals(0, pool("java").path("size").asInt(), "sidecar.pool overrides runtime.yaml");
        deploy("hit", "v1", "10m");
        Http.Response r = http.get("/fn/hit");
        assertEquals("v1", answer(r));
        assertEquals("true", r.header("x-nest-cold").orElse(""), r::toString);

        JsonNode phases = http.get("/api/v1/invocations/" + r.header("x-nest-invocation-id").orElseThrow())
                .json().path("invocation").path("phases");
        assertTrue(phases.has("pool") && !phases.has("pod"), "a pool hit: " + phases);
        for (String p : new String[] {"queue", "placement", "load", "init", "exec"}) {
            assertTrue(phases.has(p), p + " in " + phases);
        }
        assertTrue(pool("nodejs").path("hits").asInt() >= 1);
        Poll.until("the pool to refill", () -> pool("nodejs"), p -> p.path("ready").asInt() == 1);

        String metrics = http.get("/metrics").text();
        assertTrue(metrics.contains("nest_cold_starts_total{function=\"default/hit\",pod=\"pool\"} 1\n"), metrics);
        assertTrue(metrics.contains("nest_pool_size{runtime=\"nodejs\"} 1\n"), metrics);
        assertTrue(metrics.contains("nest_cold_start_phase_seconds_count{function=\"default/hit\",phase=\"load\"} 1\n"), metrics);
        assertTrue(metrics.contains("nest_instances{function=\"default/hit\",state=\"ready\"} 1\n"), metrics);
    }

    @Test
    void poolSizesChangeThroughTheApi() {
        Http.Response up = resize("java", "{\"size\": 1}");
        assertEquals(200, up.status(), up::toString);
        assertEquals(1, up.json().path("size").asInt());
        Poll.until("a java pool pod", Duration.ofSeconds(60), () -> pool("java"), p -> p.path("ready").asInt() == 1);
        assertEquals("", pool("java").path("lastError").asText());
        Http.Response down = resize("java", "{\"size\": 0}");
        assertEquals(200, down.status(), down::toString);
        Poll.until("the java pool to empty", () -> pool("java"), p -> p.path("ready").asInt() == 0);

        Http.Response bad = resize("java", "{\"size\": -1}");
        assertEquals(400, bad.status(), bad::toString);
        assertTrue(bad.json().path("detail").asText().contains("between 0 and"), bad::toString);
        Http.Response word = resize("java", "{\"size\": \"two\"}");
        assertEquals(400, word.status(), word::toString);
        Http.Response unknown = resize("cobol", "{\"size\": 1}");
        assertEquals(404, unknown.status(), unknown::toString);
        assertTrue(unknown.json().path("detail").asText().contains("nodejs"), unknown::toString);
    }

    @Test
    void aRollbackAfterTheFunctionsKeepAliveIsStillWarm() throws Exception {
        deploy("rb", "v1", "1s");
        assertEquals("v1", answer(http.get("/fn/rb")));
        deploy("rb", "v2", "1s");
        assertEquals("v2", answer(http.get("/fn/rb")));
        // longer than the function's keep-alive plus a reconciliation pass: only previous-version-keep-alive keeps v1
        Thread.sleep(2_500);
        Http.Response rb = http.postJson("/api/v1/functions/rb/rollback", "{}");
        assertEquals(200, rb.status(), rb::toString);
        Http.Response next = http.get("/fn/rb");
        assertEquals("v1", answer(next));
        assertFalse(next.header("x-nest-cold").isPresent(), "the first request after the rollback is warm: " + next);
    }

    /** Uploads a package answering {@code {"v": tag}} and deploys it as the next version of {@code name}. */
    static void deploy(String name, String tag, String keepAlive) {
        byte[] zip = Fixtures.zip(node.scratch(), Map.of("index.js",
                "exports.handler = async () => ({ v: '" + tag + "' });\n"));
        http.deploy(name, Map.of("runtime", "nodejs", "deploy", "dedicated", "handler", "index.handler", "timeout", "10s",
                "scaling", Map.of("keep-alive", keepAlive)), zip);
    }

    static String answer(Http.Response r) {
        assertEquals(200, r.status(), r::toString);
        return r.json().path("v").asText();
    }
}
