package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node's registration says that its port listens only once the port has accepted a connection, as another node's
 * mirror sees it, on a real in-process ZooKeeper. Waits on the mirror's updates, never sleeps.
 */
class NodeListeningTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private TestingServer zk;
    private NestConfig.Cluster config;
    private Cluster a;
    private Cluster b;
    private final Semaphore updates = new Semaphore(0);

    @BeforeEach
    void start() throws Exception {
        zk = new TestingServer(true);
        config = new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(5), 2);
        a = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, node("a", 1, Map.of()), Clock.systemUTC());
        a.membership().onNodesChanged(updates::release);
    }

    @AfterEach
    void stop() throws Exception {
        if (b != null) {
            b.close();
        }
        a.close();
        zk.close();
    }

    private static NodeInfo node(String id, int port, Map<String, String> labels) {
        return new NodeInfo(id, LOOPBACK.getHostAddress(), port, "zone-a", "listening", "process", Instant.EPOCH, labels);
    }

    /** Waits (on a's mirror updates, at most 10 s) until {@code done}. */
    private void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            assertTrue(left > 0 && updates.tryAcquire(left, TimeUnit.NANOSECONDS) || done.getAsBoolean(), "timed out: " + what);
        }
    }

    private Optional<NodeInfo> seenB() {
        return a.membership().node("b");
    }

    @Test
    void aNodeWhosePortListensSaysSoInItsRegistration() throws Exception {
        try (ServerSocket port = new ServerSocket(0, 50, LOOPBACK)) {
            b = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL,
                    node("b", port.getLocalPort(), Map.of(NodeInfo.SCHEME, "http")), Clock.systemUTC());
            await("b's registration says that it listens", () -> seenB().map(NodeInfo::listening).orElse(false));
            assertEquals("http", seenB().orElseThrow().labels().get(NodeInfo.SCHEME), "its other labels are kept");
            assertEquals(Instant.EPOCH, seenB().orElseThrow().started(), "the same start");
        }
    }

    @Test
    void aNodeRegistersAsNotListeningWhateverItsLabelsSayUntilItsPortAccepts() throws Exception {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 50, LOOPBACK)) {
            free = probe.getLocalPort();
        }
        // a caller's label does not make a node that does not listen yet say that it does
        b = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL,
                node("b", free, Map.of(NodeInfo.LISTENING, "true")), Clock.systemUTC());
        await("b registered", () -> seenB().isPresent());
        assertFalse(seenB().orElseThrow().listening(), "registered before its port listens: it does not say it listens");
        try (ServerSocket port = new ServerSocket(free, 50, LOOPBACK)) {
            await("b says it listens once its port accepts", () -> seenB().map(NodeInfo::listening).orElse(false));
        }
    }

    @Test
    void aRegistrationThatNamesAnotherNodeIsIgnored() throws Exception {
        NodeInfo claim = node("c", 9, Map.of(NodeInfo.LISTENING, "true"));
        a.client().create().withMode(CreateMode.EPHEMERAL).forPath(a.paths().node("x"), Json.bytes(claim));
        await("a sees the registration at x", () -> a.membership().registrations().containsKey("x"));
        assertEquals(List.of("a"), a.membership().nodes().stream().map(NodeInfo::id).toList(),
                "nodes/x naming node c is neither x nor c");
        assertTrue(a.membership().node("c").isEmpty());
    }

    @Test
    void aLabelOtherThanTrueIsNotListening() {
        assertFalse(node("b", 1, Map.of(NodeInfo.LISTENING, "yes")).listening());
        assertFalse(node("b", 1, null).listening());
        assertTrue(node("b", 1, Map.of()).withListening(true).listening());
        assertEquals(Map.of("k", "v"), node("b", 1, Map.of("k", "v", NodeInfo.LISTENING, "true")).withListening(false).labels());
    }
}
