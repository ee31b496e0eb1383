package dev.nest.cluster;

import static dev.nest.auth.TokenStoreContract.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.alert.AlertRule;
import dev.nest.alert.AlertState;
import dev.nest.alert.AlertStatus;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The alert store against a real in-process ZooKeeper, as two nodes on one tree. */
class ZooKeeperAlertStoreTest {
    private static final AtomicInteger REGIONS = new AtomicInteger();
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");
    private static TestingServer zk;

    private String path;
    private CuratorFramework clientA;
    private CuratorFramework clientB;
    private ZooKeeperAlertStore a;
    private ZooKeeperAlertStore b;

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zk = new TestingServer(true);
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        zk.close();
    }

    @BeforeEach
    void startNodes() {
        path = "/nest/alerts-" + REGIONS.incrementAndGet() + "/" + ZooKeeperAlertStore.ALERTS;
        clientA = TestCredentials.client(zk.getConnectString());
        clientB = TestCredentials.client(zk.getConnectString());
        a = store(clientA);
        b = store(clientB);
    }

    @AfterEach
    void stopNodes() {
        a.close();
        b.close();
        clientA.close();
        clientB.close();
    }

    private ZooKeeperAlertStore store(CuratorFramework client) {
        ZooKeeperAlertStore s = new ZooKeeperAlertStore(client, path, Duration.ofSeconds(10), System::nanoTime);
        s.start();
        return s;
    }

    private static AlertRule rule(String name, String when) {
        return AlertRule.parse(name, Json.tree(("{\"namespace\":\"shop\",\"function\":\"cart\",\"when\":\"" + when
                + "\",\"webhook\":\"https://hooks.example.com/x\"}").getBytes(StandardCharsets.UTF_8), "r"),
                u -> Optional.empty(), T0);
    }

    @Test
    void rulesAndStatesReachTheOtherNode() {
        AlertRule r = rule("cart-errors", "error-rate > 5% over 5m");
        a.put(r);
        assertEquals(Optional.of(r), a.rule("cart-errors"), "the writer sees its write at once");
        await("the other node sees the rule", () -> b.rule("cart-errors").isPresent());
        assertEquals(r, b.rule("cart-errors").orElseThrow());
        b.put(rule("cart-errors", "error-rate > 10% over 15m"));
        await("a replace reaches the first node", () -> a.rule("cart-errors").orElseThrow().threshold() == 0.1);

        AlertStatus firing = new AlertStatus("cart-errors", AlertState.FIRING, T0, Optional.of(0.5), "partial");
        a.state(firing);
        await("the state reaches the other node", () -> b.states().containsKey("cart-errors"));
        assertEquals(firing, b.states().get("cart-errors"));

        b.delete("cart-errors");
        await("the delete reaches the first node with the state", () -> a.rule("cart-errors").isEmpty()
                && a.states().isEmpty());
        assertEquals(404, assertThrows(NestException.class, () -> a.delete("cart-errors")).status());
    }

    @Test
    void aNodeThatDoesNotParseIsIgnored() throws Exception {
        clientA.create().forPath(path + "/rules/broken", "{not json".getBytes(StandardCharsets.UTF_8));
        clientA.create().forPath(path + "/rules/other", rule("cart", "p99 > 5ms").toBytes()); // holds another name
        a.put(rule("good", "p99 > 5ms"));
        await("a good rule next to bad ones is read", () -> b.rule("good").isPresent());
        assertTrue(b.rule("broken").isEmpty());
        assertTrue(b.rule("other").isEmpty());
        assertEquals(1, b.rules().size());
    }
}
