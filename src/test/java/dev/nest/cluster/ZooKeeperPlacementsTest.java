package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.config.NestConfig;
import dev.nest.function.FunctionId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Placements written by the leader and mirrored by every node, against a real in-process ZooKeeper. */
class ZooKeeperPlacementsTest {
    private static final FunctionId F = FunctionId.of("shop", "cart");

    private TestingServer zk;
    private Cluster leader;
    private Cluster other;
    private final Semaphore changes = new Semaphore(0);

    @BeforeEach
    void start() throws Exception {
        zk = new TestingServer(true);
        NestConfig.Cluster config = new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(2), 2);
        leader = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, node("a"), Clock.systemUTC());
        assertTrue(leader.leadership().await(Duration.ofSeconds(10)), "the only node leads");
        leader.leadership().claimEpoch();
        other = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, node("b"), Clock.systemUTC());
        other.placements().onChange(changes::release);
    }

    @AfterEach
    void stop() throws Exception {
        other.close();
        leader.close();
        zk.close();
    }

    private static NodeInfo node(String id) {
        return new NodeInfo(id, "127.0.0.1", 8080, "zone-a", "placing", "process", Instant.EPOCH, Map.of());
    }

    /** Waits for the other node's mirror to hear changes until {@code done} holds. */
    private void awaitMirror(String what, BooleanSupplier done) throws InterruptedException {
        while (!done.getAsBoolean()) {
            assertTrue(changes.tryAcquire(10, TimeUnit.SECONDS), "the mirror never showed " + what);
        }
    }

    @Test
    void aPlacementWrittenByTheLeaderReachesTheNodesMirror() throws Exception {
        leader.placements().write("b", F, 2, 7);
        awaitMirror("the placement", () -> other.placements().of("b").containsKey(F));
        NodePlacement p = other.placements().of("b").get(F);
        assertEquals(2, p.instances());
        assertEquals(7, p.version());
        assertEquals(leader.leadership().epoch().orElseThrow(), p.epoch());
        assertEquals(Map.of(), other.placements().of("a"));
        assertEquals(Map.of("b", Map.of(F, p)), other.placements().all());

        leader.placements().delete("b", F);
        awaitMirror("the deletion", () -> other.placements().of("b").isEmpty());
    }

    @Test
    void aNodeThatDoesNotLeadCannotPlace() {
        assertThrows(ClusterException.class, () -> other.placements().write("b", F, 1, 1));
        assertThrows(ClusterException.class, () -> other.placements().delete("b", F));
    }

    @Test
    void aFencedFormerLeaderCannotPlace() {
        other.leadership().claimEpoch(); // a successor's claim while the old leader still believes it leads
        assertThrows(ClusterException.class, () -> leader.placements().write("b", F, 1, 1));
        assertEquals(Map.of(), leader.placements().all());
    }
}
