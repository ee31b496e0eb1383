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
        return new NamespaceSettings(ns, NamespaceQuota.of(instances, memoryMb), Optional.of(new NamespaceRate(100, 200)),
                Instant.EPOCH);
    }

    @Test
    void whatOneNodeSetsAndClearsTheOtherReads() {
        NamespaceSettings stored = a.put(settings("shop", 2, 1024));
        assertEquals(T0, stored.updatedAt());
        assertEquals(Optional.of(stored), a.get("shop"), "the writer sees its write at once");
        await("the other node sees it", () -> b.get("shop").isPresent());
        assertEquals(NamespaceQuota.of(2, 1024), b.quota("shop"));
        assertEquals(Optional.of(new NamespaceRate(100, 200)), b.rate("shop"));
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
}
