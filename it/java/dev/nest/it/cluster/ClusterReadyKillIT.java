package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node killed right after it became ready, before the leader's probe has seen it answer, is found dead by the
 * probe without waiting for the start grace: its registration said that its port listens. Two Nest processes
 * (127.0.0.1 zone a, leading; 127.0.0.2 zone b) on a real ZooKeeper, with a start grace of 5 minutes and a session of
 * 30 s, so that only the probe's judgement, counted at once, can remove the node within the test: the assertions are
 * on what the leader logged and placed, not on how long it took.
 */
class ClusterReadyKillIT {
    private static final String REGION = "it-ready-kill";
    private static final String TREATED_DEAD = "node n2 refuses connections";
    private static final String EVICTED = "node n2 refuses connections: removed";

    static Path scratch;
    static TestingServer zookeeper;
    static final List<NestProcess> nodes = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        scratch = Files.createDirectories(Fixtures.projectRoot().resolve("target/it-ready-kill/" + System.currentTimeMillis()));
        zookeeper = new TestingServer(true);
        nodes.add(node("n1", "127.0.0.1", "zone-a", 34_000));
    }

    /** Writes a node's config (a 3 s probe, a 5 minute start grace, a 30 s session) and starts it. */
    private static NestProcess node(String id, String address, String zone, int podPortsFrom) throws IOException {
        Path home = scratch.resolve(id);
        Fixtures.writeNodeConfig(home, id, address, Fixtures.freePort(address), zone, REGION, zookeeper.getConnectString(),
                Duration.ofSeconds(30), Duration.ofSeconds(3), podPortsFrom + "-" + (podPortsFrom + 999));
        Path config = home.resolve("nest.yaml");
        String yaml = Files.readString(config, StandardCharsets.UTF_8);
        String withProbe = yaml.replace("  connection-timeout: 3s\n",
                "  connection-timeout: 3s\n  node-probe: 3s\n  node-probe-start-grace: 5m\n");
        assertFalse(withProbe.equals(yaml), "the probe settings went into the cluster block");
        Files.writeString(config, withProbe, StandardCharsets.UTF_8);
        int port = Integer.parseInt(withProbe.lines().filter(l -> l.startsWith("  port: ")).findFirst().orElseThrow()
                .substring("  port: ".length()).strip());
        return NestProcess.startWritten(id, address, port, zone, home);
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

    @Test
    void aNodeKilledRightAfterItIsReadyIsFoundByTheProbeAndItsPlacementMoves() throws Exception {
        NestProcess leader = nodes.getFirst();
        Poll.until("n1 leads", () -> leader.http.get("/api/v1/cluster").json().path("leader").asText(), "n1"::equals);
        String digest = leader.http.upload("nodejs", Fixtures.zip(scratch,
                Map.of("index.js", "exports.handler = async () => ({ v: 'placed' });\n")));
        Map<String, Object> spec = new LinkedHashMap<>(Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "10s"));
        spec.put("scaling", Map.of("min", 2));
        leader.http.deploy("placed", spec, digest);
        Poll.until("2 ready instances of placed on n1", Duration.ofSeconds(60), () -> readyPerNode("default/placed"),
                m -> m.equals(Map.of("n1", 2)));

        // n2 (zone b) joins: the leader moves one instance onto it; n2 is killed as soon as it has one
        NestProcess victim = node("n2", "127.0.0.2", "zone-b", 35_000);
        nodes.add(victim);
        Poll.until("an instance of placed on n2", Duration.ofSeconds(60), () -> instancesOn(victim, "default/placed"), n -> n > 0);
        victim.kill();

        // the probe judges it dead and evicts it: only refusals counted without the 5 minute grace can do that
        // before its 30 s session expires (after which there would be nothing left to evict)
        Poll.until("the leader's probe evicts n2", Duration.ofSeconds(60), () -> log(leader), l -> l.contains(EVICTED));
        String judged = log(leader).lines().filter(l -> l.contains(TREATED_DEAD) && l.contains("treated as dead"))
                .findFirst().orElseThrow(() -> new AssertionError("no probe judgement of n2 in n1's log"));
        assertFalse(judged.contains("never answered within its start grace"), judged);
        assertTrue(log(victim).contains("node n2 listens on 127.0.0.2:" + victim.port + ": its registration says so"),
                "n2 said that it listens before it was killed");
        Map<String, Integer> after = Poll.until("placed back at 2 ready instances on n1", Duration.ofSeconds(60),
                () -> readyPerNode("default/placed"), m -> m.equals(Map.of("n1", 2)));
        assertEquals(Map.of("n1", 2), after);

        // n2 starts again with the same id: its new registration is within its own grace until it says it listens,
        // whatever the previous start said, so it is not judged dead while it starts
        victim.launch();
        Poll.until("one instance per zone again", Duration.ofSeconds(60), () -> readyPerNode("default/placed"),
                m -> m.equals(Map.of("n1", 1, "n2", 1)));
        assertEquals(1, log(leader).lines().filter(l -> l.contains(TREATED_DEAD) && l.contains("treated as dead")).count(),
                "the restarted n2 was never judged dead");
    }

    private static String log(NestProcess n) {
        try {
            return Files.readString(n.dir.resolve("server.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Instances of {@code function} on {@code n} in any state (starting or ready). */
    private static int instancesOn(NestProcess n, String function) {
        int count = 0;
        for (JsonNode i : n.http.get("/api/v1/instances").json()) {
            if (i.path("function").asText().equals(function)) {
                count++;
            }
        }
        return count;
    }

    /** Ready instances of {@code function} per live node id, from each node's own {@code GET /api/v1/instances}. */
    private static Map<String, Integer> readyPerNode(String function) {
        Map<String, Integer> out = new TreeMap<>();
        for (NestProcess n : nodes) {
            if (!n.alive()) {
                continue;
            }
            for (JsonNode i : n.http.get("/api/v1/instances").json()) {
                if (i.path("function").asText().equals(function) && i.path("state").asText().equals("READY")) {
                    out.merge(n.id, 1, Integer::sum);
                }
            }
        }
        return out;
    }
}
