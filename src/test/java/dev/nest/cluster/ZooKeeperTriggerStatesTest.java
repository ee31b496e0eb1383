package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.config.NestConfig;
import dev.nest.function.FunctionId;
import dev.nest.trigger.TriggerException;
import dev.nest.trigger.TriggerState;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Trigger state: compare-and-set writes fenced by the leader epoch, against a real in-process ZooKeeper. */
class ZooKeeperTriggerStatesTest {
    private static final FunctionId FN = FunctionId.of("default", "tick");
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
        second = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, node("b"), Clock.systemUTC());
    }

    @AfterEach
    void stop() throws Exception {
        second.close();
        first.close();
        zk.close();
    }

    private static NodeInfo node(String id) {
        return new NodeInfo(id, "127.0.0.1", 8080, "zone-a", "triggers", "process", Instant.EPOCH, Map.of());
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void writesAreCompareAndSet() {
        TriggerState s = first.triggerStates().of(FN, "cron-1");
        assertEquals(Optional.empty(), s.read());
        assertTrue(s.write(-1, b("t1")));
        assertFalse(s.write(-1, b("again")), "created once");
        TriggerState.Stored stored = s.read().orElseThrow();
        assertArrayEquals(b("t1"), stored.data());
        assertTrue(s.write(stored.version(), b("t2")));
        assertFalse(s.write(stored.version(), b("t3")), "a version that moved on");
        assertArrayEquals(b("t2"), second.triggerStates().of(FN, "cron-1").read().orElseThrow().data(),
                "every node reads it");
    }

    @Test
    void onlyTheLeaderWritesAndAFormerOneIsFencedOff() {
        TriggerException notLeader = assertThrows(TriggerException.class,
                () -> second.triggerStates().of(FN, "cron-1").write(-1, b("x")));
        assertEquals(503, notLeader.status());
        TriggerState s = first.triggerStates().of(FN, "cron-1");
        assertTrue(s.write(-1, b("t1")));
        int version = s.read().orElseThrow().version();
        second.leadership().claimEpoch(); // a successor claimed a newer epoch while the first still believes it leads
        TriggerException fenced = assertThrows(TriggerException.class, () -> s.write(version, b("t2")));
        assertTrue(fenced.detail().contains("epoch moved past"), fenced::toString);
        assertArrayEquals(b("t1"), s.read().orElseThrow().data(), "nothing was written");
    }

    @Test
    void stateIsBounded() {
        TriggerException e = assertThrows(TriggerException.class,
                () -> first.triggerStates().of(FN, "cron-1").write(-1, new byte[TriggerState.MAX_BYTES + 1]));
        assertEquals(400, e.status());
    }
}
