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
import java.util.List;
import java.util.Map;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The monitoring report over two Nest processes on a real ZooKeeper: fast invocations served by one node and slow
 * ones by the other add up in the report whichever node is asked, and the p99 is that of all of them (the slow
 * node's), not an average of the two nodes' percentiles.
 */
class ReportClusterIT {
    private static final String REGION = "it-report";
    private static final String FN = "timed";

    static Path scratch;
    static TestingCluster zookeeper;
    static final List<NestProcess> nodes = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        scratch = Files.createDirectories(Fixtures.projectRoot().resolve("target/it-report/" + System.currentTimeMillis()));
        zookeeper = new TestingCluster(1);
        zookeeper.start();
        String[][] layout = {{"n1", "127.0.0.1"}, {"n2", "127.0.0.2"}};
        for (int i = 0; i < layout.length; i++) {
            int from = 39_000 + i * 1_000;
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

    /** An invocation served by {@code n} itself (marked as forwarded, with the peer credential: never sent on). */
    static Http.Response callHere(NestProcess n, String query) {
        return n.http.send(n.http.request("/fn/" + FN + query).header("x-nest-forwarded-by", "test")
                .header("X-Nest-Cluster-Auth", Fixtures.PEER_AUTH).GET());
    }

    @Test
    void bothNodesInvocationsAddUpAndTheP99IsThatOfTheUnion() {
        Http http = nodes.get(0).http;
        String digest = http.upload("nodejs", Fixtures.zip(scratch, Map.of("index.js", """
                exports.handler = async (event) => {
                  const ms = Number(event.query.sleep || 0);
                  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
                  return { slept: ms };
                };
                """)));
        Http.Response d = http.deploy(FN, Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "10s"),
                digest);
        assertTrue(d.status() / 100 == 2, d::toString);
        for (NestProcess n : nodes) {
            Poll.until(n + " serves " + FN, Duration.ofSeconds(60), () -> callHere(n, "").status(), s -> s == 200);
        }
        for (int i = 0; i < 30; i++) {
            assertEquals(200, callHere(nodes.get(0), "").status());
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(200, callHere(nodes.get(1), "?sleep=400").status());
        }
        int total = 2 + 30 + 3;
        for (NestProcess n : nodes) {
            JsonNode r = Poll.until("the report through " + n + " counts every node's invocations", Duration.ofSeconds(30),
                    () -> n.http.get("/api/v1/functions/" + FN + "/report?window=15m").json(),
                    j -> j.at("/totals/requests").asInt() == total);
            assertEquals(false, r.get("partial").asBoolean(), r::toString);
            // 3 of 35 took 400 ms or more: p95 and p99 are the slow node's, p50 the fast one's
            assertTrue(r.at("/totals/p99").asDouble() >= 400, r::toString);
            assertTrue(r.at("/totals/p50").asDouble() < 400, r::toString);
            assertTrue(r.at("/totals/coldStarts").asInt() >= 2, r::toString);
            assertEquals(0, r.at("/totals/errors").asInt(), r::toString);
            JsonNode ns = n.http.get("/api/v1/namespaces/default/report?window=5m").json();
            assertEquals(total, ns.at("/totals/requests").asInt(), ns::toString);
        }
        Http.Response bad = http.get("/api/v1/functions/" + FN + "/report?window=2h");
        assertEquals(400, bad.status(), bad::toString);
        assertTrue(bad.json().path("detail").asText().contains("5m, 15m, 1h, 6h, 24h, 7d"), bad::toString);
    }
}
