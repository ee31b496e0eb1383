package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.config.NestConfig;
import dev.nest.function.FunctionId;
import dev.nest.gateway.PeerRoutes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The routing table built from the ready-instance registry, between two nodes on a real in-process ZooKeeper:
 * which peers a gateway is offered, and when it is offered none. Waits on table rebuilds, never sleeps.
 */
class PeerRoutingTest {
    private static final FunctionId F = FunctionId.of("default", "f");

    private TestingServer zk;
    private Cluster a;
    private Cluster b;
    private final Semaphore rebuilds = new Semaphore(0);
    private final List<ReadyCount> aCounts = new CopyOnWriteArrayList<>();
    private final List<ReadyCount> bCounts = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        zk = new TestingServer(true);
        NestConfig.Cluster config = new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(5), 2);
        a = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, node("a", "127.0.0.1"), Clock.systemUTC());
        a.readyForTests().onRebuilt(rebuilds::release);
        b = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, node("b", "127.0.0.2"), Clock.systemUTC());
        a.publishReady(() -> List.copyOf(aCounts));
        b.publishReady(() -> List.copyOf(bCounts));
    }

    @AfterEach
    void stop() throws Exception {
        if (b != null) {
            b.close();
        }
        a.close();
        zk.close();
    }

    private static NodeInfo node(String id, String address) {
        return new NodeInfo(id, address, 8080, "zone-a", "routing", "process", Instant.EPOCH, Map.of());
    }

    /** Waits (on a's table rebuilds, at most 10 s) until {@code done}. */
    private void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            assertTrue(left > 0 && rebuilds.tryAcquire(left, TimeUnit.NANOSECONDS) || done.getAsBoolean(), "timed out: " + what);
        }
    }

    @Test
    void aPeerWithAReadyInstanceIsOfferedForThatVersionOnly() throws Exception {
        bCounts.add(new ReadyCount(F, 1, 2, 0));
        await("b's instance in a's table", () -> !a.routes().peersFor(F, 1).isEmpty());
        PeerRoutes.Peer peer = a.routes().peersFor(F, 1).getFirst();
        assertEquals(new PeerRoutes.Peer("b", "127.0.0.2", 8080), peer);
        assertEquals(List.of(), a.routes().peersFor(F, 2), "no peer has version 2");
        assertEquals(List.of(), a.routes().peersFor(FunctionId.of("default", "g"), 1), "nor another function");
        assertEquals(List.of(), b.routes().peersFor(F, 1), "a node is never its own peer");
    }

    @Test
    void aNodeWithItsOwnReadyInstanceIsOfferedNoPeer() throws Exception {
        bCounts.add(new ReadyCount(F, 1, 1, 0));
        await("b's instance in a's table", () -> !a.routes().peersFor(F, 1).isEmpty());
        aCounts.add(new ReadyCount(F, 1, 1, 0));
        await("a serves its own", () -> a.routes().peersFor(F, 1).isEmpty());
        aCounts.clear();
        await("a has none again", () -> !a.routes().peersFor(F, 1).isEmpty());
    }

    @Test
    void anUnreachablePeerIsLeftOutUntilItPublishesAgain() throws Exception {
        bCounts.add(new ReadyCount(F, 1, 1, 0));
        await("b's instance in a's table", () -> !a.routes().peersFor(F, 1).isEmpty());
        a.routes().unreachable(a.routes().peersFor(F, 1).getFirst());
        assertEquals(List.of(), a.routes().peersFor(F, 1));
        bCounts.set(0, new ReadyCount(F, 1, 2, 0));
        await("b published again", () -> !a.routes().peersFor(F, 1).isEmpty());
    }

    @Test
    void aNodeThatLeavesLeavesTheTable() throws Exception {
        bCounts.add(new ReadyCount(F, 1, 1, 0));
        await("b's instance in a's table", () -> !a.routes().peersFor(F, 1).isEmpty());
        b.close();
        b = null;
        await("b gone from a's table", () -> a.routes().peersFor(F, 1).isEmpty());
    }
}
