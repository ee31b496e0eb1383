package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.config.NestConfig;
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
import java.util.Set;
import java.util.TreeSet;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three Nest processes (127.0.0.1, .2, .3; zones a, a, b) on a real three-server ZooKeeper ensemble, and what
 * happens when parts of it die. The steps build on each other and run in order: deploy on one node and invoke
 * through every node; kill -9 the leader; kill -9 a node that holds instances; lose ZooKeeper's quorum and get
 * it back; a node of another region sees nothing of this one. Every deploy that was acknowledged is checked to
 * be there at the end.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    private static final String REGION = "it-east";

    /** Kept after the run (target/it-cluster/<time>): the nodes' config files and server.log. */
    static Path scratch;

    static TestingCluster zookeeper;
    static final List<NestProcess> nodes = new ArrayList<>();
    /** Every deploy that was acknowledged: function name to the answer its code gives. */
    static final Map<String, String> acknowledged = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        scratch = Files.createDirectories(Fixtures.projectRoot().resolve("target/it-cluster/" + System.currentTimeMillis()));
        zookeeper = new TestingCluster(3);
        zookeeper.start();
        String[][] layout = {{"n1", "127.0.0.1", "zone-a"}, {"n2", "127.0.0.2", "zone-a"}, {"n3", "127.0.0.3", "zone-b"}};
        for (int i = 0; i < layout.length; i++) {
            String address = layout[i][1];
            int from = 31_000 + i * 1_000;
            nodes.add(NestProcess.start(layout[i][0], address, Fixtures.freePort(address), layout[i][2], REGION,
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

    @Test
    @Order(1)
    void aDeployOnOneNodeIsInvocableThroughEveryNode() {
        NestProcess first = nodes.get(0);
        String digest = deploy(first, "hello", "hello-v1");
        // the package is on at least two nodes before the deploy returned (cluster.artifact-replicas: 2)
        int holders = 0;
        for (NestProcess n : nodes) {
            if (n.http.get("/api/v1/artifacts/manifests/" + digest).status() == 200) {
                holders++;
            }
        }
        assertTrue(holders >= 2, "the package is on " + holders + " nodes right after the deploy");

        assertEquals("hello-v1", answer(first.http.get("/fn/hello")));
        Poll.until("node n1's ready instance of hello in every routing table", () -> nodes.stream()
                .allMatch(n -> readyNodes(n, "default/hello").contains("n1")), ok -> ok);
        for (NestProcess n : nodes.subList(1, 3)) {
            for (int i = 0; i < 5; i++) {
                assertEquals("hello-v1", answer(n.http.get("/fn/hello")), "via " + n);
            }
            // served by n1's warm instance: the gateway forwarded instead of starting one here
            JsonNode here = n.http.get("/api/v1/instances").json();
            assertEquals(0, here.size(), "instances on " + n + ": " + here + "; log: " + n.logTail());
        }
    }

    @Test
    @Order(2)
    void aNodeThatLacksThePackageFetchesItFromAHolder() {
        String digest = deploy(nodes.get(0), "fetched", "fetched-v1");
        NestProcess lacking = nodes.stream()
                .filter(n -> n.http.get("/api/v1/artifacts/manifests/" + digest).status() == 404).findFirst()
                .orElseThrow(() -> new AssertionError("every node holds " + digest + "; replicas should be 2 of 3"));
        // the deploy returns once the version is written; the other nodes' mirrors follow within a moment
        Poll.until("the function in " + lacking + "'s catalog", () -> lacking.http.get("/api/v1/functions/fetched").status(),
                s -> s == 200);
        // a forwarded request is served where it arrives: here a cold start on the node without the code
        Http.Response r = lacking.http.send(lacking.http.request("/fn/fetched").header("X-Nest-Forwarded-By", "test").header("X-Nest-Cluster-Auth", Fixtures.PEER_AUTH).GET());
        assertEquals("fetched-v1", answer(r), "via " + lacking);
        assertEquals(200, lacking.http.get("/api/v1/artifacts/manifests/" + digest).status(),
                lacking + " keeps the fetched package");

        // what the scheduler prefers a node for, as every node advertises it: its unpacked packages (the two replicas
        // and now the node that fetched it) and its ready warm-pool pods
        NestProcess viewer = nodes.stream().filter(n -> n != lacking).findFirst().orElseThrow();
        // each node publishes its unpacked packages on its own schedule (at most once a second): wait for all three
        JsonNode holding = Poll.until(lacking + " and the replicas listed as nodes holding " + digest,
                () -> viewer.http.get("/api/v1/nodes?package=" + java.net.URLEncoder.encode(digest,
                        java.nio.charset.StandardCharsets.UTF_8)).json(), list -> ids(list).containsAll(Set.of("n1", "n2", "n3")));
        assertEquals(Set.of("n1", "n2", "n3"), ids(holding), "every node holds it now: " + holding);
        Poll.until("every node's ready nodejs pool pod", () -> viewer.http.get("/api/v1/nodes").json(),
                list -> list.size() == 3 && ids(list).size() == 3
                        && java.util.stream.StreamSupport.stream(list.spliterator(), false)
                        .allMatch(n -> n.path("pools").path("nodejs").asInt() > 0));
        assertEquals(400, viewer.http.get("/api/v1/nodes?package=latest").status(), "a filter that is no digest");
    }

    private static Set<String> ids(JsonNode nodeList) {
        Set<String> out = new TreeSet<>();
        nodeList.forEach(n -> out.add(n.path("id").asText()));
        return out;
    }

    @Test
    @Order(3)
    void theLeaderDiesAndAnotherNodeLeads() {
        String leader = nodes.get(0).http.get("/api/v1/cluster").json().path("leader").asText();
        NestProcess dead = byId(leader);
        dead.kill();
        List<NestProcess> survivors = nodes.stream().filter(NestProcess::alive).toList();
        JsonNode view = Poll.until("a new leader among " + survivors, Duration.ofSeconds(30),
                () -> survivors.get(0).http.get("/api/v1/cluster").json(),
                c -> !c.path("leader").asText().isEmpty() && !c.path("leader").asText().equals(leader));
        String next = view.path("leader").asText();
        assertNotEquals(leader, next);
        for (NestProcess n : survivors) {
            assertEquals(next, n.http.get("/api/v1/cluster").json().path("leader").asText(), "leader as " + n + " sees it");
            for (int i = 0; i < 5; i++) {
                assertEquals("hello-v1", answer(n.http.get("/fn/hello")), "via " + n + " after the leader died");
            }
        }
        dead.launch();
        Poll.until("node " + dead.id + " registered again", () -> nodeIds(nodes.get(0 == nodes.indexOf(dead) ? 1 : 0)),
                ids -> ids.contains(dead.id));
    }

    @Test
    @Order(4)
    void aNodeWithInstancesDiesAndItsInstancesLeaveRouting() {
        // a node that serves hello (the leader may have placed it anywhere); else invoke through one node until it has one
        NestProcess holder = nodes.stream().filter(n -> readyPerNode("default/hello").containsKey(n.id)).findFirst()
                .orElseGet(() -> {
                    NestProcess n = nodes.get(1);
                    answer(n.http.send(n.http.request("/fn/hello").header("X-Nest-Forwarded-By", "test").header("X-Nest-Cluster-Auth", Fixtures.PEER_AUTH).GET()));
                    return n;
                });
        List<NestProcess> others = nodes.stream().filter(n -> n != holder).toList();
        Poll.until(holder.id + " in the routing tables of " + others, () -> others.stream()
                .allMatch(n -> readyNodes(n, "default/hello").contains(holder.id)), ok -> ok);
        holder.kill();
        // requests not yet sent to the dead node go elsewhere at once, before its session even expires
        for (NestProcess n : others) {
            for (int i = 0; i < 3; i++) {
                assertEquals("hello-v1", answer(n.http.get("/fn/hello")), "via " + n + " right after " + holder.id + " died");
            }
        }
        for (NestProcess n : others) {
            Poll.until(holder.id + " gone from " + n + "'s routing table", Duration.ofSeconds(30),
                    () -> readyNodes(n, "default/hello"), ids -> !ids.contains(holder.id));
            assertEquals("hello-v1", answer(n.http.get("/fn/hello")), "via " + n);
        }
        holder.launch();
        Poll.until("node " + holder.id + " registered again", () -> nodeIds(others.get(0)), ids -> ids.contains(holder.id));
    }

    @Test
    @Order(5)
    void losingZooKeepersQuorumDegradesAndRecovers() throws Exception {
        NestProcess n = nodes.get(0);
        assertEquals("hello-v1", answer(n.http.send(n.http.request("/fn/hello").header("X-Nest-Forwarded-By", "test").header("X-Nest-Cluster-Auth", Fixtures.PEER_AUTH).GET())));
        List<InstanceSpec> stopped = new ArrayList<>(zookeeper.getInstances()).subList(0, 2);
        for (InstanceSpec s : stopped) {
            assertTrue(zookeeper.killServer(s), "stopping ZooKeeper server " + s);
        }
        for (NestProcess each : nodes) {
            Poll.until(each + " reports the cluster degraded", Duration.ofSeconds(30),
                    () -> each.http.get("/api/v1/cluster").json().path("state").asText(), "DEGRADED"::equals);
        }
        // the data plane keeps serving from the last known state
        for (int i = 0; i < 10; i++) {
            assertEquals("hello-v1", answer(n.http.get("/fn/hello")), "warm invocation while ZooKeeper is down");
        }
        // a deploy waits for cluster.operation-timeout and fails saying why
        String lost = n.http.upload("nodejs", code(scratch, "lost-v1"));
        Http.Response d = n.http.postJson("/api/v1/functions/lost/versions", Map.of("spec", spec(), "digest", lost));
        assertEquals(503, d.status(), d::toString);
        assertTrue(d.text().contains("ZooKeeper"), "the error names ZooKeeper: " + d);

        for (InstanceSpec s : stopped) {
            assertTrue(zookeeper.restartServer(s), "restarting ZooKeeper server " + s);
        }
        for (NestProcess each : nodes) {
            Poll.until(each + " reconnected", Duration.ofSeconds(60),
                    () -> each.http.get("/api/v1/cluster").json().path("state").asText(), "CONNECTED"::equals);
        }
        deploy(n, "after", "after-v1");
        for (NestProcess each : nodes) {
            assertEquals("after-v1", answer(Poll.until("after on " + each, () -> each.http.get("/fn/after"),
                    r -> r.status() == 200)));
        }
        assertFalse(functionNames(n).contains("default/lost"), "the failed deploy left nothing behind");
    }

    @Test
    @Order(6)
    void noAcknowledgedDeployIsLost() {
        for (NestProcess n : nodes) {
            Set<String> names = functionNames(n);
            for (var e : acknowledged.entrySet()) {
                assertTrue(names.contains("default/" + e.getKey()), n + " lists " + e.getKey() + ": " + names);
                assertEquals(e.getValue(), answer(n.http.get("/fn/" + e.getKey())), e.getKey() + " via " + n);
            }
        }
    }

    @Test
    @Order(7)
    void aNodeOfAnotherRegionSeesNoneOfThisRegionsFunctions() throws Exception {
        NestConfig base = NestConfig.defaults();
        base = base.withCluster(new NestConfig.Cluster(zookeeper.getConnectString(), 0, Duration.ofSeconds(4),
                Duration.ofSeconds(3), Duration.ofSeconds(3), 2));
        base = base.withNode(new NestConfig.Node("west-1", "127.0.0.1", "zone-a", "it-west"));
        try (NestServer west = Fixtures.startNode(base, scratch.resolve("west-data"),
                Files.createDirectories(scratch.resolve("west-functions")))) {
            Http http = Http.of(west);
            assertEquals(Set.of(), functionNames(http), "functions seen in region it-west");
            JsonNode cluster = http.get("/api/v1/cluster").json();
            assertEquals("west-1", cluster.path("leader").asText(), cluster::toString);
            assertEquals(1, cluster.path("nodes").size(), cluster::toString);
            assertEquals(404, http.get("/fn/hello").status());
        }
        assertFalse(nodeIds(nodes.get(0)).contains("west-1"), "region it-east does not list west-1");
    }

    @Test
    @Order(8)
    void aMinimumIsPlacedAcrossZonesAndADeadNodesInstanceIsPlacedAgainOnASurvivor() {
        deploy(nodes.get(0), "placed", "placed-v1", Map.of("min", 2));
        // the leader places scaling.min across the cluster, one per zone (n3 is zone-b's only node), not 2 per node
        Map<String, Integer> spread = Poll.until("2 ready instances of placed across the cluster", Duration.ofSeconds(60),
                () -> readyPerNode("default/placed"), m -> total(m) == 2 && m.getOrDefault("n3", 0) == 1);
        assertEquals(2, spread.size(), "one per node: " + spread);
        String leader = nodes.get(0).http.get("/api/v1/cluster").json().path("leader").asText();
        // kill -9 a holder; a node that does not lead, so that this is re-placement, not a leader change
        NestProcess victim = nodes.stream().filter(n -> spread.containsKey(n.id) && !n.id.equals(leader)).findFirst()
                .orElseThrow(() -> new AssertionError("two holders, at most one leads: " + spread + ", leader " + leader));
        victim.kill();
        Map<String, Integer> after = Poll.until("placed back at 2 ready instances on the survivors", Duration.ofSeconds(60),
                () -> readyPerNode("default/placed"), m -> total(m) == 2);
        assertFalse(after.containsKey(victim.id), "nothing counted on the dead node: " + after);
        assertTrue(after.keySet().stream().noneMatch(id -> after.get(id) > 1) || after.size() == 1,
                "spread over the survivors where they have room: " + after);

        victim.launch();
        Poll.until("node " + victim.id + " registered again", () -> nodeIds(nodes.get(0 == nodes.indexOf(victim) ? 1 : 0)),
                ids -> ids.contains(victim.id));
        // the spread evens out again: when zone-b's only node is the one that came back, the leader moves an instance
        // back onto it (the old one drained once the new one serves); either way the count ends as placed
        Map<String, Integer> back = Poll.until("one instance per zone again after " + victim.id + " came back",
                Duration.ofSeconds(60), () -> readyPerNode("default/placed"), m -> total(m) == 2 && m.getOrDefault("n3", 0) == 1);
        assertEquals(2, back.size(), "one per node: " + back);
        assertEquals("placed-v1", answer(victim.http.get("/fn/placed")), "via the node that came back");
    }

    @Test
    @Order(9)
    void loadThatArrivesOnlyAtANodeThatDoesNotLeadMakesTheLeaderScale() throws Exception {
        String leaderId = Poll.until("a leader", () -> nodes.get(0).http.get("/api/v1/cluster").json().path("leader").asText(),
                id -> !id.isEmpty() && byId(id).alive());
        NestProcess leader = byId(leaderId);
        NestProcess entry = nodes.stream().filter(n -> n.alive() && n != leader).findFirst().orElseThrow();
        String digest = entry.http.upload("nodejs", Fixtures.zip(scratch,
                Map.of("index.js", "exports.handler = async () => { await new Promise(r => setTimeout(r, 300)); return { v: 'slow' }; };\n")));
        Map<String, Object> spec = new LinkedHashMap<>(spec());
        spec.put("scaling", Map.of("max", 6, "metrics", List.of(Map.of("type", "concurrency", "target", 1))));
        entry.http.deploy("slow", spec, digest);
        acknowledged.put("slow", "slow");
        // four callers at once, all through the same node that does not lead
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            callers.add(Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    entry.http.get("/fn/slow");
                }
            }));
        }
        try {
            JsonNode s = Poll.until("the leader " + leaderId + " scales 'slow' on load sent by " + entry.id, Duration.ofSeconds(60),
                    () -> leader.http.get("/api/v1/functions/slow/scaling").json(),
                    n -> n.path("active").asBoolean() && n.path("desired").asInt() >= 3 && n.path("metrics").path("rps.avg6s").asDouble() > 0);
            JsonNode load = leader.http.get("/api/v1/cluster/load").json();
            assertTrue(load.path("nodes").has(entry.id), "the leader holds " + entry.id + "'s report: " + load);
            assertTrue(s.path("decisions").size() > 0, s::toString);
        } finally {
            stop.set(true);
            for (Thread t : callers) {
                t.join(5_000);
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    /** Uploads code answering {@code {"v": tag}} to {@code n}, deploys it as {@code name}; returns the digest. */
    static String deploy(NestProcess n, String name, String tag) {
        return deploy(n, name, tag, Map.of());
    }

    /** {@link #deploy(NestProcess, String, String)} with a {@code scaling} block ({@code min}, ...). */
    static String deploy(NestProcess n, String name, String tag, Map<String, Object> scaling) {
        String digest = n.http.upload("nodejs", code(scratch, tag));
        Map<String, Object> spec = new LinkedHashMap<>(spec());
        if (!scaling.isEmpty()) {
            spec.put("scaling", scaling);
        }
        n.http.deploy(name, spec, digest);
        acknowledged.put(name, tag);
        return digest;
    }

    static Map<String, Object> spec() {
        return Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "10s");
    }

    static byte[] code(Path scratch, String tag) {
        return Fixtures.zip(scratch, Map.of("index.js", "exports.handler = async () => ({ v: '" + tag + "' });\n"));
    }

    static String answer(Http.Response r) {
        assertEquals(200, r.status(), r::toString);
        return r.json().path("v").asText();
    }

    /** The nodes that {@code n}'s routing table lists with ready instances of {@code function}. */
    static Set<String> readyNodes(NestProcess n, String function) {
        Set<String> out = new TreeSet<>();
        n.http.get("/api/v1/cluster").json().path("ready").properties().forEach(e -> {
            for (JsonNode i : e.getValue().path("instances")) {
                if (i.path("function").asText().equals(function) && i.path("ready").asInt() > 0) {
                    out.add(e.getKey());
                }
            }
        });
        return out;
    }

    /** Ready instances of {@code function} per live node id, from each node's own {@code GET /api/v1/instances}. */
    static Map<String, Integer> readyPerNode(String function) {
        Map<String, Integer> out = new java.util.TreeMap<>();
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

    static int total(Map<String, Integer> perNode) {
        return perNode.values().stream().mapToInt(Integer::intValue).sum();
    }

    static Set<String> nodeIds(NestProcess n) {
        Set<String> out = new TreeSet<>();
        n.http.get("/api/v1/nodes").json().forEach(x -> out.add(x.path("id").asText()));
        return out;
    }

    static Set<String> functionNames(NestProcess n) {
        return functionNames(n.http);
    }

    static Set<String> functionNames(Http http) {
        Set<String> out = new TreeSet<>();
        http.get("/api/v1/functions").json().path("functions")
                .forEach(f -> out.add(f.path("namespace").asText() + "/" + f.path("name").asText()));
        return out;
    }

    static NestProcess byId(String id) {
        return nodes.stream().filter(n -> n.id.equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no node " + id + " among " + nodes));
    }
}
