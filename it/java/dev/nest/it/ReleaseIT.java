package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Aliases, weighted routing and canary releases on a real node with Node.js functions: version 1 is good, version 2
 * fails one request in five and is rolled back automatically in its first step, version 3 is good and is promoted
 * through every step; a weighted alias splits 2,000 requests within 3 points of its weights; sticky keys never change
 * version within a step; the rollback after it all is still one write served warm. One node (it leads); two nodes
 * and a leader killed mid-release: {@code cluster.ReleaseClusterIT}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReleaseIT {
    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode);
    static final Http http = node.http();
    static final String FN = "canary";
    static final String STICKY = "X-User-Id";

    /** The version that answered, from its body; fails on anything but 200 unless {@code errorsAllowed}. */
    static int version(Http.Response r, boolean errorsAllowed) {
        if (r.status() != 200) {
            assertTrue(errorsAllowed && r.status() == 500, r::toString);
            return 2; // only version 2 fails
        }
        return r.json().path("version").asInt();
    }

    static Http.Response call(String path, String... headers) {
        var b = http.request(path).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b);
    }

    static int deploy(String tag, String body, boolean promote) {
        byte[] zip = Fixtures.zip(node.scratch(), Map.of("index.js", body));
        String digest = http.upload("nodejs", zip);
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("spec", Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "10s", "concurrency", 4));
        req.put("digest", digest);
        req.put("promote", promote);
        Http.Response d = http.postJson("/api/v1/functions/" + FN + "/versions", req);
        assertEquals(201, d.status(), d::toString);
        return d.json().path("version").asInt();
    }

    static JsonNode current() {
        Http.Response r = http.get("/api/v1/functions/" + FN + "/releases/current");
        assertEquals(200, r.status(), r::toString);
        return r.json();
    }

    static JsonNode put(String alias, String body) {
        Http.Response r = http.send(http.request("/api/v1/functions/" + FN + "/aliases/" + alias)
                .header("Content-Type", "application/json").PUT(java.net.http.HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(200, r.status(), r::toString);
        return r.json();
    }

    @Test
    @Order(1)
    void versionsDeployWithoutMovingLiveAndAreInvokedByName() {
        String good = "exports.handler = async (e, ctx) => ({ version: Number(ctx.functionVersion) });\n";
        String flaky = "let n = 0;\nexports.handler = async (e, ctx) => { n++; if (n % 5 === 0) throw new Error('boom ' + n);"
                + " return { version: Number(ctx.functionVersion) }; };\n";
        assertEquals(1, deploy("v1", good, true));
        assertEquals(2, deploy("v2", flaky, false));
        assertEquals(3, deploy("v3", good, false));
        JsonNode versions = http.get("/api/v1/functions/" + FN + "/versions").json();
        assertEquals(1, versions.path("live").asInt(), "promote false leaves live: " + versions);

        assertEquals(1, version(call("/fn/" + FN), false));
        assertEquals(3, version(call("/fn/" + FN + "@3/x?y=1"), false));
        assertEquals(3, version(call("/fn/" + FN, "X-Nest-Qualifier", "3"), false));
        assertEquals(1, version(call("/fn/" + FN + "@live"), false));
        assertEquals(3, version(call("/fn/" + FN + "@1", "X-Nest-Qualifier", "3"), false), "the header wins");
        put("beta", "{\"version\": 3}");
        assertEquals(3, version(call("/fn/" + FN + "@beta"), false));
        assertEquals(404, call("/fn/" + FN + "@9").status());
        assertEquals(404, call("/fn/" + FN + "@gamma").status());
        assertEquals(400, call("/fn/" + FN + "@Beta").status());
        assertEquals(400, call("/fn/" + FN + "@").status());
        assertEquals(400, call("/fn/" + FN, "X-Nest-Qualifier", "../admin").status());
        assertEquals(404, call("/fn/" + FN + "%403").status(), "%40 is not an @");
        Http.Response gone = http.send(http.request("/api/v1/functions/" + FN + "/aliases/live").DELETE());
        assertEquals(409, gone.status(), gone::toString);
        Http.Response bad = http.send(http.request("/api/v1/functions/" + FN + "/aliases/beta")
                .header("Content-Type", "application/json")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"versions\": {\"1\": 90, \"7\": 10}}")));
        assertEquals(400, bad.status(), bad::toString);
    }

    @Test
    @Order(2)
    void aWeightedAliasSplitsTrafficWithinThreePoints() {
        put("split", "{\"versions\": {\"1\": 75, \"3\": 25}}");
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 2_000; i++) {
            counts.merge(version(call("/fn/" + FN + "@split"), false), 1, Integer::sum);
        }
        double share = counts.getOrDefault(3, 0) / 2000.0 * 100;
        assertTrue(share >= 22 && share <= 28, "version 3 got " + share + "% of 2,000 requests, want 25 +- 3: " + counts);
        assertEquals(2_000, counts.getOrDefault(1, 0) + counts.getOrDefault(3, 0), counts::toString);
        Http.Response rm = http.send(http.request("/api/v1/functions/" + FN + "/aliases/split").DELETE());
        assertEquals(204, rm.status(), rm::toString);
    }

    @Test
    @Order(3)
    void aFailingCanaryIsRolledBackInItsFirstStep() {
        put("live", "{\"version\": 1, \"sticky\": \"header:" + STICKY + "\"}");
        Http.Response started = http.postJson("/api/v1/functions/" + FN + "/releases", Map.of("to", 2,
                "steps", List.of(20, 50, 100), "interval", "2s", "min-requests", 20, "max-error-rate", "1%"));
        assertEquals(201, started.status(), started::toString);
        assertEquals("running", started.json().path("state").asText(), started::toString);
        long t0 = System.nanoTime();
        int i = 0;
        JsonNode rel = current();
        while (rel.path("state").asText().equals("running") && System.nanoTime() - t0 < Duration.ofSeconds(60).toNanos()) {
            for (int k = 0; k < 20; k++, i++) {
                version(call("/fn/" + FN), true); // no sticky key: random, so the canary gets its share
            }
            rel = current();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("rolled-back", rel.path("state").asText(), rel::toString);
        assertEquals(1, rel.path("step").asInt(), "rolled back in the first step, before its 2 s interval ended: " + rel);
        assertTrue(rel.path("reason").asText().contains("error rate"), rel::toString);
        assertEquals(Map.of("1", 100), Http.JSON.convertValue(rel.path("live").path("versions"), Map.class), rel::toString);
        System.out.println("ReleaseIT: version 2 rolled back " + ms + " ms after the release started, after " + i
                + " requests: " + rel.path("reason").asText());
        for (int k = 0; k < 50; k++) {
            assertEquals(1, version(call("/fn/" + FN), false), "after the rollback everything is version 1");
        }
        JsonNode audit = http.get("/api/v1/functions/" + FN + "/releases/current").json();
        assertEquals("rolled-back", audit.path("state").asText());
    }

    @Test
    @Order(4)
    void aGoodCanaryIsPromotedThroughEveryStepAndStickyKeysHoldWithinAStep() {
        Http.Response started = http.postJson("/api/v1/functions/" + FN + "/releases", Map.of("to", 3,
                "steps", List.of(10, 50, 100), "interval", "2s", "min-requests", 20));
        assertEquals(201, started.status(), started::toString);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        JsonNode rel = current();
        Map<Integer, Integer> stepsSeen = new LinkedHashMap<>();
        int burst = 0;
        while (!rel.path("state").asText().equals("promoted") && System.nanoTime() < deadline) {
            assertEquals("running", rel.path("state").asText(), rel::toString);
            int step = rel.path("step").asInt();
            Map<String, Integer> seen = new HashMap<>();
            boolean changed = false;
            for (int round = 0; round < 3; round++) {
                for (int key = 0; key < 40; key++) {
                    String user = "user-" + burst + "-" + key;
                    int v = version(call("/fn/" + FN, STICKY, user), false);
                    Integer before = seen.putIfAbsent(user, v);
                    if (before != null && before != v) {
                        changed = true;
                        JsonNode now = current();
                        assertTrue(now.path("step").asInt() != step || !now.path("state").asText().equals("running"),
                                "key " + user + " moved from v" + before + " to v" + v + " within step " + step + ": " + now);
                    }
                }
            }
            JsonNode after = current();
            if (!changed && after.path("step").asInt() == step && after.path("state").asText().equals("running")) {
                stepsSeen.merge(step, 1, Integer::sum);
            }
            rel = after;
            burst++;
        }
        assertEquals("promoted", rel.path("state").asText(), rel::toString);
        assertEquals(3, rel.path("step").asInt(), rel::toString);
        assertTrue(stepsSeen.keySet().containsAll(List.of(1, 2)), "sticky bursts checked within steps " + stepsSeen);
        assertEquals(Map.of("3", 100), Http.JSON.convertValue(rel.path("live").path("versions"), Map.class), rel::toString);
        for (JsonNode c : rel.path("checks")) {
            assertTrue(c.path("passed").asBoolean(), rel::toString);
        }
        assertEquals(3, http.get("/api/v1/functions/" + FN + "/versions").json().path("live").asInt());
        for (int k = 0; k < 20; k++) {
            assertEquals(3, version(call("/fn/" + FN, STICKY, "anyone-" + k), false));
        }
    }

    @Test
    @Order(5)
    void theRollbackAfterAReleaseIsOneWriteServedWarm() {
        Http.Response rb = http.postJson("/api/v1/functions/" + FN + "/rollback", "{\"to\": 1}");
        assertEquals(200, rb.status(), rb::toString);
        Http.Response next = call("/fn/" + FN);
        assertEquals(1, version(next, false), next::toString);
        assertTrue(next.header("x-nest-cold").isEmpty(), "version 1 was kept warm through the release: " + next);
        JsonNode aliases = http.get("/api/v1/functions/" + FN + "/aliases").json();
        assertEquals(Map.of("1", 100), Http.JSON.convertValue(aliases.path("aliases").path("live").path("versions"), Map.class),
                aliases::toString);
        Http.Response none = http.postJson("/api/v1/functions/" + FN + "/releases/current/pause", "{}");
        assertEquals(409, none.status(), none::toString);
    }
    /** Polls {@code path} until {@code done} holds (at most 60 s); the last answer. */
    static JsonNode await(String path, java.util.function.Predicate<JsonNode> done, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Http.Response r = http.get(path);
        while (!(r.status() == 200 && done.test(r.json())) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            r = http.get(path);
        }
        assertEquals(200, r.status(), r::toString);
        assertTrue(done.test(r.json()), what + ": " + r);
        return r.json();
    }

    @Test
    @Order(6)
    void editingAFileWithAReleaseBlockStartsACanaryThatIsPromoted() throws Exception {
        String fn = "filed";
        String release = "release: {steps: [25, 100], interval: 2s, max-error-rate: 1%, max-p99: 10s, min-requests: 20}\n";
        String code = "exports.handler = async (e, ctx) => ({ version: Number(ctx.functionVersion), edit: EDIT });\n";
        Fixtures.nodeFunction(node.functions(), fn, release, code.replace("EDIT", "1"));
        await("/api/v1/functions/" + fn, n -> n.path("live").asInt() == 1, "the file's first version goes live at once");
        assertEquals(1, version(call("/fn/" + fn), false));

        java.nio.file.Files.writeString(node.functions().resolve(fn + "/index.js"), code.replace("EDIT", "2"));
        JsonNode shown = await("/api/v1/functions/" + fn, n -> n.path("release").path("to").asInt() == 2,
                "the edit starts a release instead of switching");
        assertEquals(1, shown.path("live").asInt(), shown::toString);
        assertEquals("running", shown.path("release").path("state").asText(), shown::toString);
        assertEquals("{\"1\":75,\"2\":25}", shown.path("aliases").path(0).path("versions").toString(), shown::toString);

        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode rel = http.get("/api/v1/functions/" + fn + "/releases/current").json();
        while (!rel.path("state").asText().equals("promoted") && System.nanoTime() < deadline) {
            assertEquals("running", rel.path("state").asText(), rel::toString);
            for (int k = 0; k < 20; k++) {
                version(call("/fn/" + fn), false);
            }
            rel = http.get("/api/v1/functions/" + fn + "/releases/current").json();
        }
        assertEquals("promoted", rel.path("state").asText(), rel::toString);
        List<String> events = new java.util.ArrayList<>();
        rel.path("history").forEach(e -> events.add(e.path("event").asText() + " " + e.path("percent").asInt()));
        assertEquals(List.of("started 25", "step 100", "promoted 100"), events, rel::toString);
        assertEquals(2, http.get("/api/v1/functions/" + fn).json().path("live").asInt());
        assertEquals(2, version(call("/fn/" + fn), false));
        Http.Response api = http.postJson("/api/v1/functions/" + fn + "/releases", Map.of("to", 1));
        assertEquals(409, api.status(), "the file alone starts releases of its function: " + api);
    }
}
