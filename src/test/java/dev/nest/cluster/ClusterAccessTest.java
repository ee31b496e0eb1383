package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.config.NestConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only the cluster's nodes reach its znodes: what a node creates carries the digest ACL of the cluster credential,
 * a client without it can neither read nor write under {@code /nest}, a node with another secret fails at start
 * saying so, znodes an older version left open are closed at start, and the embedded server refuses a session
 * that has not authenticated. Against a real in-process ZooKeeper.
 */
class ClusterAccessTest {
    private TestingServer zk;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void startZooKeeper() throws Exception {
        zk = new TestingServer(true);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        zk.close();
    }

    private NestConfig.Cluster config() {
        return new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(2), 2);
    }

    private static NodeInfo node(String id, String region) {
        return new NodeInfo(id, "127.0.0.1", 8080, "zone-a", region, "process", Instant.EPOCH, Map.of());
    }

    private Cluster start(String id, String region, ClusterCredential credential) {
        Cluster c = Cluster.start(zk.getConnectString(), config(), credential, node(id, region), Clock.systemUTC());
        open.add(c);
        return c;
    }

    /** A plain ZooKeeper client, connected, with no credential (or the given digest). */
    private ZooKeeper raw(String connectString, String digest) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper z = new ZooKeeper(connectString, 5_000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        open.add(z::close);
        if (digest != null) {
            z.addAuthInfo("digest", digest.getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(connected.await(10, TimeUnit.SECONDS), "connected to " + connectString);
        return z;
    }

    @Test
    void aClientWithoutTheCredentialCanNeitherReadNorWriteUnderNest() throws Exception {
        start("a", "locked", TestCredentials.CREDENTIAL);
        ZooKeeper stranger = raw(zk.getConnectString(), null);
        List<ACL> expected = new ZooKeeperAcls(TestCredentials.CREDENTIAL).acl();
        for (String path : List.of("/nest", "/nest/locked", "/nest/locked/nodes", "/nest/locked/nodes/a")) {
            assertEquals(expected, cluster(0).client().getACL().forPath(path), "the ACL of " + path);
            assertThrows(KeeperException.NoAuthException.class, () -> stranger.getData(path, false, null), path);
            assertThrows(KeeperException.NoAuthException.class, () -> stranger.getChildren(path, false), path);
            assertThrows(KeeperException.NoAuthException.class, () -> stranger.setData(path, new byte[0], -1), path);
            assertThrows(KeeperException.NoAuthException.class,
                    () -> stranger.create(path + "/intruder", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE,
                            CreateMode.PERSISTENT), path);
        }
        ZooKeeper wrong = raw(zk.getConnectString(), ClusterCredential.of("another-cluster-secret").zooKeeperAuth());
        assertThrows(KeeperException.NoAuthException.class, () -> wrong.getData("/nest/locked/nodes/a", false, null));
    }

    @Test
    void aNodeWithAnotherSecretCannotRegisterAndIsToldWhy() throws Exception {
        Cluster a = start("a", "secrets", TestCredentials.CREDENTIAL);
        ClusterException e = assertThrows(ClusterException.class,
                () -> start("b", "secrets", ClusterCredential.of("another-cluster-secret")));
        assertTrue(e.detail().contains("cluster secret differs"), e.detail());
        assertTrue(e.detail().contains("cluster.secret"), e.detail());
        assertNull(e.getCause(), "a clear message, no stack trace");
        assertNull(a.client().checkExists().forPath("/nest/secrets/nodes/b"), "not registered");

        start("b", "secrets", TestCredentials.CREDENTIAL);
        assertTrue(a.client().checkExists().forPath("/nest/secrets/nodes/b") != null, "the right secret joins");
    }

    @Test
    void aNodeOfAnotherRegionWithAnotherSecretIsRefusedAtTheRoot() throws Exception {
        start("a", "east", TestCredentials.CREDENTIAL);
        ClusterException e = assertThrows(ClusterException.class,
                () -> start("w", "west", ClusterCredential.of("another-cluster-secret")));
        assertTrue(e.detail().contains("/nest:") && e.detail().contains("cluster secret differs"), e.detail());
    }

    @Test
    void znodesLeftOpenByAnOlderVersionAreClosedAtStart() throws Exception {
        ZooKeeper old = raw(zk.getConnectString(), null);
        for (String p : List.of("/nest", "/nest/upgrade", "/nest/upgrade/functions", "/nest/upgrade/functions/default",
                "/nest/upgrade/functions/default/hello", "/nest/other")) {
            old.create(p, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        }
        Cluster a = start("a", "upgrade", TestCredentials.CREDENTIAL);
        List<ACL> expected = new ZooKeeperAcls(TestCredentials.CREDENTIAL).acl();
        for (String p : List.of("/nest", "/nest/upgrade", "/nest/upgrade/functions",
                "/nest/upgrade/functions/default/hello")) {
            assertEquals(expected, a.client().getACL().forPath(p), p);
            assertThrows(KeeperException.NoAuthException.class, () -> old.getData(p, false, null), p);
        }
        assertEquals(ZooDefs.Ids.OPEN_ACL_UNSAFE, old.getACL("/nest/other", null),
                "another region's tree is its own nodes' to close");
    }

    @Test
    void theEmbeddedServerRefusesASessionThatDidNotAuthenticate(@TempDir Path dir) throws Exception {
        try (EmbeddedZooKeeper embedded = EmbeddedZooKeeper.start(dir.resolve("zookeeper"), 0)) {
            ZooKeeper stranger = raw(embedded.connectString(), null);
            assertThrows(KeeperException.SessionClosedRequireAuthException.class, () -> stranger.exists("/", false));
            assertThrows(KeeperException.class, () -> stranger.getData("/", false, null), "nor any later request");

            Cluster node = Cluster.start(embedded.connectString(), config(), TestCredentials.CREDENTIAL,
                    node("a", "embedded"), Clock.systemUTC());
            open.add(node);
            assertTrue(node.client().checkExists().forPath("/nest/embedded/nodes/a") != null, "registered");
            ZooKeeper otherSecret = raw(embedded.connectString(),
                    ClusterCredential.of("another-cluster-secret").zooKeeperAuth());
            assertThrows(KeeperException.NoAuthException.class, () -> otherSecret.getData("/nest", false, null));
            node.close();
        }
        assertNull(System.getProperty(EmbeddedZooKeeper.ENFORCE_AUTH_ENABLED),
                "the switch is not left on for other servers in this JVM");
    }

    private Cluster cluster(int i) {
        return (Cluster) open.get(i);
    }
}
