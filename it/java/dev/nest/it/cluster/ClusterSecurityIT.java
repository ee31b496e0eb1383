package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.cluster.ClusterCredential;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The cluster secret and the shared token store, on two Nest processes (127.0.0.1, .2) and an external ZooKeeper:
 * a node with another secret cannot join (it stops at start saying why, and never shows in the others' node list);
 * the peer routes refuse a wrong {@value ClusterCredential#HEADER}, even beside an admin token; a token created on
 * one node works on the other, and its revocation reaches the other within a bounded time (the observed time is
 * printed); a ZooKeeper client without the cluster's credential, or with a wrong one, can neither read nor create
 * under {@code /nest}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterSecurityIT {
    private static final String REGION = "it-secure";
    private static final String WRONG_SECRET = "not-the-integration-tests-cluster-secret";

    /** Kept after the run (target/it-cluster-security/<time>): the nodes' config files and server.log. */
    static Path scratch;
    static TestingServer zookeeper;
    static final List<NestProcess> nodes = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        scratch = Files.createDirectories(Fixtures.projectRoot()
                .resolve("target/it-cluster-security/" + System.currentTimeMillis()));
        zookeeper = new TestingServer(true);
        String[][] layout = {{"n1", "127.0.0.1"}, {"n2", "127.0.0.2"}};
        for (int i = 0; i < layout.length; i++) {
            String address = layout[i][1];
            int from = 34_000 + i * 1_000;
            nodes.add(NestProcess.start(layout[i][0], address, Fixtures.freePort(address), "zone-a", REGION,
                    zookeeper.getConnectString(), from + "-" + (from + 999), scratch.resolve(layout[i][0])));
        }
        for (NestProcess n : nodes) {
            Poll.until("both nodes in " + n + "'s node list", () -> nodeIds(n), ids -> ids.equals(Set.of("n1", "n2")));
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
    void aNodeWithAnotherClusterSecretCannotJoin() throws Exception {
        Path home = scratch.resolve("intruder");
        String address = "127.0.0.3";
        Fixtures.writeNodeConfig(home, "intruder", address, Fixtures.freePort(address), "zone-a", REGION,
                zookeeper.getConnectString(), Duration.ofSeconds(4), Duration.ofSeconds(3), "36000-36999");
        Path config = home.resolve("nest.yaml");
        Files.writeString(config, Files.readString(config).replace(Fixtures.CLUSTER_SECRET, WRONG_SECRET));
        ProcessBuilder pb = new ProcessBuilder(Fixtures.javaBinary(), "-Xmx256m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), "dev.nest.Main", "server", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(home.resolve("server.log").toFile());
        pb.environment().put(Fixtures.BOOTSTRAP_ENV, Fixtures.bootstrapToken());
        Process intruder = pb.start();
        Set<String> seen = new TreeSet<>();
        try {
            // watch both nodes' lists the whole time the intruder tries to start
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (intruder.isAlive() && System.nanoTime() < deadline) {
                for (NestProcess n : nodes) {
                    seen.addAll(nodeIds(n));
                }
                Thread.sleep(50);
            }
            assertFalse(intruder.isAlive(), "the node with another secret is still running after 90 s:\n" + log(home));
        } finally {
            if (intruder.isAlive()) {
                Fixtures.killTree(intruder);
            }
        }
        String log = log(home);
        assertNotEquals(0, intruder.exitValue(), log);
        assertTrue(log.contains("cluster secret differs"), "the start failure names the cause:\n" + log);
        assertTrue(log.contains("cluster.secret"), "and the setting to fix:\n" + log);
        System.err.println("the node with another cluster secret exited with " + intruder.exitValue() + ": "
                + log.lines().filter(l -> l.contains("cluster secret differs")).findFirst().orElse(""));
        assertEquals(Set.of("n1", "n2"), seen, "the nodes ever listed while the intruder started");
        for (NestProcess n : nodes) {
            assertEquals(Set.of("n1", "n2"), nodeIds(n), "nodes as " + n + " sees them");
        }
    }

    @Test
    @Order(2)
    void theNodesRefuseAWrongPeerCredential() {
        String wrong = ClusterCredential.of(WRONG_SECRET).header();
        String right = ClusterCredential.of(Fixtures.CLUSTER_SECRET).header();
        byte[] chunk = "a chunk from a stranger".getBytes(StandardCharsets.UTF_8);
        String sha = sha256(chunk);
        for (NestProcess n : nodes) {
            Http anonymous = n.http.anonymous();
            for (Http as : List.of(anonymous, n.http)) {
                String who = as == anonymous ? "without a token" : "beside the admin token";
                Http.Response load = as.send(as.request("/api/v1/cluster/load").header(ClusterCredential.HEADER, wrong)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"node\":\"intruder\",\"functions\":[]}")));
                assertEquals(401, load.status(), () -> "load report with a wrong credential " + who + " to " + n + ": " + load);
                Http.Response push = as.send(as.request("/api/v1/artifacts/chunks/" + sha)
                        .header(ClusterCredential.HEADER, wrong).header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(chunk)));
                assertEquals(401, push.status(), () -> "chunk push with a wrong credential " + who + " to " + n + ": " + push);
            }
            Http.Response none = anonymous.send(anonymous.request("/api/v1/artifacts/chunks/" + sha)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(chunk)));
            assertEquals(401, none.status(), () -> "chunk push without any credential to " + n + ": " + none);
            // the control: the right credential passes the filter (the chunk is just not there)
            Http.Response head = anonymous.send(anonymous.request("/api/v1/artifacts/chunks/" + sha)
                    .header(ClusterCredential.HEADER, right).method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertEquals(404, head.status(), () -> "a peer's lookup of a missing chunk on " + n + ": " + head);
        }
    }

    @Test
    @Order(3)
    void aTokenRevokedOnOneNodeIsRefusedByTheOtherWithinABound() throws Exception {
        NestProcess a = nodes.get(0);
        NestProcess b = nodes.get(1);
        Http.Response created = a.http.postJson("/api/v1/tokens", Map.of("name", "roaming", "role", "viewer",
                "namespaces", List.of("default"), "expires", "1d"));
        assertEquals(201, created.status(), created::toString);
        String secret = created.json().path("secret").asText(created.json().path("token").asText());
        Http onB = b.http.anonymous().withToken(secret);
        Http onA = a.http.anonymous().withToken(secret);
        assertEquals(200, onA.get("/api/v1/functions?namespace=default").status(), "the token on the node that made it");
        Http.Response seen = Poll.until("the token accepted by " + b, Duration.ofSeconds(5),
                () -> onB.get("/api/v1/functions?namespace=default"), r -> r.status() == 200);
        assertEquals(200, seen.status(), seen::toString);

        Http.Response revoked = a.http.send(a.http.request("/api/v1/tokens/roaming").DELETE());
        assertEquals(200, revoked.status(), revoked::toString);
        long start = System.nanoTime();
        Duration bound = Duration.ofSeconds(5);
        int status = 0;
        int polls = 0;
        while (System.nanoTime() - start < bound.toNanos()) {
            status = onB.get("/api/v1/functions?namespace=default").status();
            polls++;
            if (status == 401) {
                break;
            }
            Thread.sleep(50);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.err.println("revocation on " + a + " refused by " + b + " after " + took.toMillis() + " ms (" + polls
                + " polls every 50 ms; last status " + status + ")");
        assertEquals(401, status, "the revoked token still works on " + b + " after " + took.toMillis() + " ms");
        assertEquals(401, onA.get("/api/v1/functions?namespace=default").status(), "and on " + a);
    }

    @Test
    @Order(4)
    void aZooKeeperClientWithoutTheClusterCredentialCanNeitherReadNorCreate() throws Exception {
        String functions = "/nest/" + REGION + "/functions";
        byte[] data = "intruder".getBytes(StandardCharsets.UTF_8);
        try (ZooKeeper plain = connect(zookeeper.getConnectString())) {
            // even whether it exists is refused (ZooKeeper checks READ on exists); a missing znode would be null
            assertThrows(KeeperException.NoAuthException.class, () -> plain.exists(functions, false), "stat " + functions);
            assertThrows(KeeperException.NoAuthException.class, () -> plain.getData(functions, false, null), "read " + functions);
            assertThrows(KeeperException.NoAuthException.class, () -> plain.getChildren(functions, false), "list " + functions);
            assertThrows(KeeperException.NoAuthException.class, () -> plain.getChildren("/nest", false), "list /nest");
            for (String path : List.of("/nest/intruder", "/nest/" + REGION + "/intruder", functions + "/intruder")) {
                assertThrows(KeeperException.NoAuthException.class, () -> plain.create(path, data,
                        ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT), "create " + path);
            }
            assertThrows(KeeperException.NoAuthException.class, () -> plain.setData(functions, data, -1), "write " + functions);
            assertThrows(KeeperException.NoAuthException.class, () -> plain.setACL("/nest", ZooDefs.Ids.OPEN_ACL_UNSAFE, -1),
                    "open /nest to the world");
        }
        // Curator with the digest scheme and a wrong secret's password fares no better
        try (CuratorFramework wrong = CuratorFrameworkFactory.builder().connectString(zookeeper.getConnectString())
                .retryPolicy(new RetryOneTime(100)).authorization("digest",
                        ClusterCredential.of(WRONG_SECRET).zooKeeperAuth().getBytes(StandardCharsets.UTF_8)).build()) {
            wrong.start();
            assertTrue(wrong.blockUntilConnected(10, TimeUnit.SECONDS));
            assertThrows(KeeperException.NoAuthException.class, () -> wrong.getData().forPath(functions));
            assertThrows(KeeperException.NoAuthException.class, () -> wrong.create().forPath("/nest/intruder", data));
        }
        for (NestProcess n : nodes) {
            assertEquals(200, n.http.get("/api/v1/cluster").status(), "the cluster still answers on " + n);
        }
    }

    private static ZooKeeper connect(String connectString) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connectString, 10_000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(10, TimeUnit.SECONDS)) {
            zk.close();
            throw new AssertionError("no ZooKeeper session at " + connectString);
        }
        return zk;
    }

    private static Set<String> nodeIds(NestProcess n) {
        Http.Response r = n.http.get("/api/v1/nodes");
        assertEquals(200, r.status(), () -> "nodes of " + n + ": " + r);
        Set<String> ids = new TreeSet<>();
        for (JsonNode node : r.json()) {
            ids.add(node.path("id").asText());
        }
        return ids;
    }

    private static String log(Path home) {
        try {
            return Files.readString(home.resolve("server.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
