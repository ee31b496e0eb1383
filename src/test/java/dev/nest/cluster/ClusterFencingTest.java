package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.config.NestConfig;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Leader-only writes are fenced by the region's epoch, against a real in-process ZooKeeper. */
class ClusterFencingTest {
    private TestingServer zk;
    private Cluster first;
    private Cluster second;

    @BeforeEach
    void start() throws Exception {
        zk = new TestingServer(true);
        NestConfig.Cluster config = new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(2), 2);
        first = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, node("a"), Clock.systemUTC());
        assertTrue(first.leadership().await(Duration.ofSeconds(10)), "the only node leads");
        first.leadership().claimEpoch();
        second = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, node("b"), Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        second.close();
        first.close();
        zk.close();
    }

    private static NodeInfo node(String id) {
        return new NodeInfo(id, "127.0.0.1", 8080, "zone-a", "fence", "process", Instant.EPOCH, Map.of());
    }

    @Test
    void theLeaderWritesAtItsEpoch() throws Exception {
        Optional<Integer> epoch = first.leadership().epoch();
        assertTrue(epoch.isPresent(), "the leader knows its epoch");
        first.leadership().writeAsLeader("placements/b/s1", "x".getBytes(StandardCharsets.UTF_8));
        first.leadership().writeAsLeader("placements/b/s1", "y".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("y".getBytes(StandardCharsets.UTF_8),
                first.client().getData().forPath("/nest/fence/placements/b/s1"));
        first.leadership().deleteAsLeader("placements/b/s1");
        assertEquals(null, first.client().checkExists().forPath("/nest/fence/placements/b/s1"));
    }

    @Test
    void aFormerLeaderIsFencedOnceASuccessorClaimsANewerEpoch() throws Exception {
        int before = first.leadership().epoch().orElseThrow();
        // what a successor does when it wins while the old leader is cut off and still believes it leads
        second.leadership().claimEpoch();
        ClusterException e = assertThrows(ClusterException.class,
                () -> first.leadership().writeAsLeader("placements/b/s1", new byte[0]));
        assertTrue(e.getMessage().contains("fenced off") || e.detail().contains("fenced off"), e::toString);
        assertEquals(null, first.client().checkExists().forPath("/nest/fence/placements/b/s1"), "nothing was written");
        assertFalse(first.leadership().epoch().isPresent(), "the fenced node forgets its epoch: " + before);
    }

    @Test
    void evictingADeadLeaderHandsTheLeadOnAtOnce() throws Exception {
        // what a node does when the leader's port refuses connections: the leader's latch and registrations go
        second.membership().evict("a");
        assertTrue(second.leadership().await(Duration.ofSeconds(10)), "the next node leads without a session expiry");
        // a node evicted wrongly (it is alive) writes its registration back; the epoch fences its leader writes
        second.leadership().claimEpoch();
        assertThrows(ClusterException.class, () -> first.leadership().writeAsLeader("placements/b/s1", new byte[0]));
        assertTrue(awaitNode(first, "a"), "the live node registered again");
        second.membership().evict("b");
        assertTrue(second.leadership().isLeader(), "a node never evicts itself");
    }

    /** Polls ZooKeeper until the node is registered (Curator writes it back asynchronously). */
    private static boolean awaitNode(Cluster c, String id) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            if (c.client().checkExists().forPath("/nest/fence/nodes/" + id) != null) {
                return true;
            }
            Thread.sleep(5);
        }
        return false;
    }

    @Test
    void aNodeThatIsNotTheLeaderCannotWrite() {
        ClusterException e = assertThrows(ClusterException.class, () -> second.leadership().writeAsLeader("placements/a/s1", new byte[0]));
        assertTrue(e.detail().contains("is not the leader"), e::toString);
    }

    @Test
    void pathsOutsideTheRegionAreRefused() {
        for (String bad : List.of("/nest/other/x", "../other/x", "")) {
            assertThrows(IllegalArgumentException.class, () -> first.leadership().writeAsLeader(bad, new byte[0]), bad);
        }
    }

    @Test
    void leadershipHasALifecycle() {
        Leadership l = second.leadership();
        assertEquals(Leadership.State.STARTED, l.state());
        assertThrows(IllegalStateException.class, l::start, "it starts once");
        assertFalse(l.await(Duration.ofMillis(20)), "the second node does not lead while the first does");
        assertEquals(Optional.of("a"), l.leaderId());
        second.close();
        assertEquals(Leadership.State.CLOSED, l.state());
        assertFalse(l.await(Duration.ofSeconds(10)), "a closed latch never leads");
        assertThrows(IllegalStateException.class, l::start, "nor starts again");
    }

    @Test
    void membershipKnowsTheLeadersAddress() {
        assertEquals(Optional.empty(), first.membership().leaderUrl(), "the leader has no other leader");
        assertEquals(Optional.of(java.net.URI.create("http://127.0.0.1:8080")), second.membership().leaderUrl());
        assertEquals("zone-a", second.membership().node("a").orElseThrow().zone());
    }
}
