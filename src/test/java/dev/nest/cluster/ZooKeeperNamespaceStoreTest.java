package dev.nest.cluster;

import static dev.nest.auth.TokenStoreContract.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.NestException;
import dev.nest.namespace.NamespaceQuota;
import dev.nest.namespace.NamespaceRate;
import dev.nest.namespace.NamespaceSettings;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The namespace store against a real in-process ZooKeeper, as two nodes (two clients, two stores on one tree): what
 * one sets or clears the other reads, and a node that does not parse is ignored. Waits are bounded polls.
 */
class ZooKeeperNamespaceStoreTest {
    private static final AtomicInteger REGIONS = new AtomicInteger();
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");
    private static TestingServer zk;

    private final Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
    private String path;
    private CuratorFramework clientA;
    private CuratorFramework clientB;
    private ZooKeeperNamespaceStore a;
    private ZooKeeperNamespaceStore b;

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
        path = "/nest/ns-" + REGIONS.incrementAndGet() + "/" + ZooKeeperNamespaceStore.NAMESPACES;
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

    private ZooKeeperNamespaceStore store(CuratorFramework client) {
        ZooKeeperNamespaceStore s = new ZooKeeperNamespaceStore(client, path, clock, Duration.ofSeconds(10), System::nanoTime);
        s.start();
        return s;
    }

    private static NamespaceSettings settings(String ns, int instances, long memoryMb) {
        return new NamespaceSettings(ns, NamespaceQuota.of(instances, memoryMb), Optional.of(new NamespaceRate(dev.nest.common.Rate.parse("100/s"), 200)),
                Instant.EPOCH);
    }

    @Test
    void whatOneNodeSetsAndClearsTheOtherReads() {
        NamespaceSettings stored = a.put(settings("shop", 2, 1024));
        assertEquals(T0, stored.updatedAt());
        assertEquals(Optional.of(stored), a.get("shop"), "the writer sees its write at once");
        await("the other node sees it", () -> b.get("shop").isPresent());
        assertEquals(NamespaceQuota.of(2, 1024), b.quota("shop"));
        assertEquals(Optional.of(new NamespaceRate(dev.nest.common.Rate.parse("100/s"), 200)), b.rate("shop"));
        assertEquals(NamespaceQuota.NONE, b.quota("billing"));

        b.put(settings("shop", 5, 2048));
        await("a replace reaches the other node", () -> a.quota("shop").instances().orElse(0) == 5);
        a.put(settings("billing", 1, 128));
        await("both namespaces listed", () -> b.list().size() == 2);
        assertEquals(List.of("billing", "shop"), b.list().stream().map(NamespaceSettings::namespace).toList());

        b.delete("shop");
        await("the clear reaches the other node", () -> a.get("shop").isEmpty());
        NestException e = assertThrows(NestException.class, () -> a.delete("shop"));
        assertEquals(404, e.status());
        assertEquals(400, assertThrows(NestException.class, () -> a.delete("../x")).status());
    }

    @Test
    void aNodeThatDoesNotParseIsIgnored() throws Exception {
        clientA.create().forPath(path + "/broken", "{not json".getBytes(StandardCharsets.UTF_8));
        clientA.create().forPath(path + "/other", settings("shop", 1, 1).toBytes());
        a.put(settings("shop", 1, 128));
        await("a good node next to bad ones is read", () -> b.get("shop").isPresent());
        assertTrue(b.get("broken").isEmpty());
        assertTrue(b.get("other").isEmpty(), "a node whose content names another namespace is ignored");
        assertEquals(NamespaceQuota.NONE, b.quota("broken"));
    }

    /** Nodes written by the release that stored namespace rates as decimal requests per second. */
    @Test
    void nodesOfTheEarlierRateFormStillRead() throws Exception {
        clientA.create().forPath(path + "/shop", earlierForm("shop", "0.5/s"));
        clientA.create().forPath(path + "/slow", earlierForm("slow", "0.0002777777777777778/s"));
        clientA.create().forPath(path + "/odd", earlierForm("odd", "0.0001/s"));
        clientA.create().forPath(path + "/plain", earlierForm("plain", "100/s"));
        await("all four read", () -> b.list().size() == 4);
        assertEquals(Optional.of(new NamespaceRate(dev.nest.common.Rate.parse("30/m"), 20)), b.rate("shop"));
        assertEquals(Optional.of(new NamespaceRate(dev.nest.common.Rate.parse("1/h"), 20)), b.rate("slow"));
        assertEquals(Optional.of(new NamespaceRate(dev.nest.common.Rate.parse("100/s"), 20)), b.rate("plain"));
        assertEquals(Optional.empty(), b.rate("odd"), "no whole count per hour: no rate limit (a warning is logged)");
        assertEquals(NamespaceQuota.of(4, 512), b.quota("odd"), "its quota holds");
    }

    private static byte[] earlierForm(String ns, String rate) {
        return ("{\"namespace\":\"" + ns + "\",\"quota\":{\"instances\":4,\"memory\":\"512Mi\"},\"limits\":"
                + "{\"rate\":\"" + rate + "\",\"burst\":20},\"updatedAt\":\"2026-01-02T03:04:05Z\"}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
