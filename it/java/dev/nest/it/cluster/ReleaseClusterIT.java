package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Canary releases through two Nest processes on a real ZooKeeper: a failing canary is rolled back on both nodes; a
 * sticky key reaches the same version through either node; and a good canary whose leader is killed with
 * {@code kill -9} mid-release is carried on by the other node and promoted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReleaseClusterIT {
    private static final String REGION = "it-releases";
    private static final String FN = "canary";

    static Path scratch;
    static TestingCluster zookeeper;
    static final List<NestProcess> nodes = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        scratch = Files.createDirectories(Fixtures.projectRoot().resolve("target/it-releases/" + System.currentTimeMillis()));
        zookeeper = new TestingCluster(1);
        zookeeper.start();
        String[][] layout = {{"n1", "127.0.0.1"}, {"n2", "127.0.0.2"}};
        for (int i = 0; i < layout.length; i++) {
            int from = 35_000 + i * 1_000;
            nodes.add(NestProcess.start(layout[i][0], layout[i][1], Fixtures.freePort(layout[i][1]), "zone-a", REGION,
                    zookeeper.getConnectString(), from + "-" + (from + 999), scratch.resolve(layout[i][0])));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        for (NestProcess n : nodes) {
            n.close();
        }
        if (zookeeper != null) {
            zookeeper.close();
        }
    }

    static int deploy(String body, boolean promote) {
        Http http = nodes.get(0).http;
        String digest = http.upload("nodejs", Fixtures.zip(scratch, Map.of("index.js", body)));
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("spec", Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "10s", "concurrency", 4));
        req.put("digest", digest);
        req.put("promote", promote);
        Http.Response d = http.postJson("/api/v1/functions/" + FN + "/versions", req);
        assertEquals(201, d.status(), d::toString);
        return d.json().path("version").asInt();
    }

    static int version(Http.Response r) {
        if (r.status() == 500) {
            return 2; // only version 2 fails
        }
        assertEquals(200, r.status(), r::toString);
        return r.json().path("version").asInt();
    }

    static Http.Response call(NestProcess n, String user) {
        var b = n.http.request("/fn/" + FN).GET();
        if (user != null) {
            b.header("X-User-Id", user);
        }
        return n.http.send(b);
    }

    static JsonNode current(NestProcess n) {
        Http.Response r = n.http.get("/api/v1/functions/" + FN + "/releases/current");
        assertEquals(200, r.status(), r::toString);
        return r.json();
    }

    @Test
    @Order(1)
    void aFailingCanaryIsRolledBackOnEveryNode() {
        String good = "exports.handler = async (e, ctx) => ({ version: Number(ctx.functionVersion) });\n";
        String flaky = "let n = 0;\nexports.handler = async (e, ctx) => { n++; if (n % 5 === 0) throw new Error('boom');"
                + " return { version: Number(ctx.functionVersion) }; };\n";
        assertEquals(1, deploy(good, true));
        assertEquals(2, deploy(flaky, false));
        assertEquals(3, deploy(good, false));
        Http.Response sticky = nodes.get(0).http.send(nodes.get(0).http.request("/api/v1/functions/" + FN + "/aliases/live")
                .header("Content-Type", "application/json")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"version\": 1, \"sticky\": \"header:X-User-Id\"}")));
        assertEquals(200, sticky.status(), sticky::toString);
        for (NestProcess n : nodes) {
            Poll.until("version 1 through " + n, () -> version(call(n, null)), v -> v == 1);
        }
        Http.Response started = nodes.get(1).http.postJson("/api/v1/functions/" + FN + "/releases", Map.of("to", 2,
                "steps", List.of(20, 50, 100), "interval", "3s", "min-requests", 20));
        assertEquals(201, started.status(), started::toString);
        JsonNode rel = Poll.until("the leader rolls version 2 back", Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 20; i++) {
                version(call(nodes.get(i % 2), null));
            }
            return current(nodes.get(0));
        }, r -> !r.path("state").asText().equals("running"));
        assertEquals("rolled-back", rel.path("state").asText(), rel::toString);
        assertTrue(rel.path("reason").asText().contains("error rate"), rel::toString);
        for (NestProcess n : nodes) {
            Poll.until(n + " sees the rollback", () -> current(n).path("state").asText(), "rolled-back"::equals);
            for (int i = 0; i < 20; i++) {
                assertEquals(1, version(call(n, null)), "after the rollback, through " + n);
            }
        }
    }

    @Test
    @Order(2)
    void aGoodCanaryIsSplitAlikeOnEveryNodeAndPromotedAfterItsLeaderDies() {
        Http.Response started = nodes.get(0).http.postJson("/api/v1/functions/" + FN + "/releases", Map.of("to", 3,
                "steps", List.of(50, 60, 70, 100), "interval", "3s", "min-requests", 20));
        assertEquals(201, started.status(), started::toString);
        for (NestProcess n : nodes) {
            Poll.until(n + " sees the split", () -> current(n).path("state").asText(), "running"::equals);
        }
        // the same key reaches the same version through either node while the step stands
        int checked = 0;
        for (int burst = 0; burst < 10 && checked < 30; burst++) {
            int step = current(nodes.get(0)).path("step").asInt();
            Map<String, Integer> via1 = new LinkedHashMap<>();
            Map<String, Integer> via2 = new LinkedHashMap<>();
            for (int k = 0; k < 30; k++) {
                String user = "user-" + burst + "-" + k;
                via1.put(user, version(call(nodes.get(0), user)));
                via2.put(user, version(call(nodes.get(1), user)));
            }
            JsonNode after = current(nodes.get(0));
            if (after.path("step").asInt() == step && after.path("state").asText().equals("running")) {
                assertEquals(via1, via2, "sticky keys through n1 and n2 in step " + step);
                checked += 30;
            }
        }
        assertTrue(checked >= 30, "no step stood still for a burst of 60 requests");

        String leader = nodes.get(0).http.get("/api/v1/cluster").json().path("leader").asText();
        NestProcess dead = nodes.stream().filter(n -> n.id.equals(leader)).findFirst().orElseThrow();
        NestProcess survivor = nodes.stream().filter(n -> n != dead).findFirst().orElseThrow();
        Poll.until("the release past its first step", Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 20; i++) {
                call(nodes.get(i % 2), null);
            }
            return current(survivor);
        }, r -> r.path("step").asInt() >= 2 || !r.path("state").asText().equals("running"));
        JsonNode before = current(survivor);
        assertEquals("running", before.path("state").asText(), before::toString);
        dead.kill();
        JsonNode done = Poll.until("the survivor " + survivor.id + " leads and promotes version 3", Duration.ofSeconds(90),
                () -> {
                    for (int i = 0; i < 20; i++) {
                        call(survivor, null); // traffic; a request cut by the kill may fail
                    }
                    return current(survivor);
                }, r -> !r.path("state").asText().equals("running"));
        assertEquals("promoted", done.path("state").asText(), done::toString);
        assertEquals(survivor.id, survivor.http.get("/api/v1/cluster").json().path("leader").asText());
        assertEquals(Map.of("3", 100), Http.JSON.convertValue(done.path("live").path("versions"), Map.class), done::toString);
        for (int i = 0; i < 20; i++) {
            assertEquals(3, version(call(survivor, "anyone-" + i)));
        }
        System.out.println("ReleaseClusterIT: leader " + leader + " killed at step " + before.path("step").asInt()
                + "; " + survivor.id + " promoted: " + done.path("reason").asText());
    }
}
