package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a node advertises for the scheduler, between two nodes on a real in-process ZooKeeper: its ready warm-pool
 * pods per runtime and the packages it has unpacked, as another node's mirror sees them. Waits on the mirrors'
 * updates, never sleeps.
 */
class NodeAdvertisementTest {
    private static final String D1 = "sha256:" + "1".repeat(64);
    private static final String D2 = "sha256:" + "2".repeat(64);

    private TestingServer zk;
    private Cluster a;
    private Cluster b;
    private final Semaphore updates = new Semaphore(0);
    private final Map<String, Integer> bPools = new ConcurrentHashMap<>();
    private final Set<String> bPackages = ConcurrentHashMap.newKeySet();
    private final List<ReadyCount> bReady = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        zk = new TestingServer(true);
        NestConfig.Cluster config = new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(5), 2);
        a = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, node("a"), Clock.systemUTC());
        a.readyForTests().onRebuilt(updates::release);
        a.cachedForTests().onDecoded(updates::release);
        b = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, node("b"), Clock.systemUTC());
        bPools.put("nodejs", 0);
        b.publishReady(() -> List.copyOf(bReady), () -> Map.copyOf(bPools));
        b.publishCached(() -> Set.copyOf(bPackages));
        a.publishReady(List::of, () -> Map.of("java", 1));
        a.publishCached(Set::of);
    }

    @AfterEach
    void stop() throws Exception {
        b.close();
        a.close();
        zk.close();
    }

    private static NodeInfo node(String id) {
        return new NodeInfo(id, "127.0.0.1", 8080, "zone-a", "advertise", "process", Instant.EPOCH, Map.of());
    }

    /** Waits (on a's mirror updates, at most 10 s) until {@code done}. */
    private void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            assertTrue(left > 0 && updates.tryAcquire(left, TimeUnit.NANOSECONDS) || done.getAsBoolean(), "timed out: " + what);
        }
    }

    @Test
    void warmPodsReachOtherNodesAndFollowThePool() throws Exception {
        await("b's empty pool", () -> a.warmPods("b").equals(Map.of("nodejs", 0)));
        bPools.put("nodejs", 2);
        await("b's two warm pods", () -> a.warmPods("b").equals(Map.of("nodejs", 2)));
        bPools.put("nodejs", 1);
        bPools.put("java", 3);
        await("b's pool after a take and a new runtime", () -> a.warmPods("b").equals(Map.of("nodejs", 1, "java", 3)));
        assertEquals(Map.of("java", 1), b.warmPods("a"), "and the other way round");
    }

    @Test
    void theFunctionsANodeHasReadyInstancesOfReachOtherNodes() throws Exception {
        dev.nest.function.FunctionId f = dev.nest.function.FunctionId.of("default", "f");
        bReady.add(new ReadyCount(f, 3, 1, 0));
        bReady.add(new ReadyCount(dev.nest.function.FunctionId.of("default", "starting"), 1, 0, 0));
        await("b's ready instance of f", () -> a.serving("b").equals(Set.of(f)));
        bReady.clear();
        await("b's instance gone", () -> a.serving("b").isEmpty());
        assertEquals(Map.of(), a.warmPods("c"), "nothing for a node that never published");
    }

    @Test
    void unpackedPackagesReachOtherNodesAndLeaveWithTheNode() throws Exception {
        bPackages.add(D1);
        await("b's first package", () -> a.cachedPackages("b").equals(Set.of(D1)));
        bPackages.add(D2);
        await("b's second package", () -> a.cachedPackages("b").equals(Set.of(D1, D2)));
        bPackages.remove(D1);
        await("b's eviction of the first", () -> a.cachedPackages("b").equals(Set.of(D2)));

        JsonNode holders = Json.mapper().valueToTree(a.describeNodes(Optional.of(D2)));
        assertEquals(1, holders.size(), "only the holder is listed: " + holders);
        assertEquals("b", holders.get(0).path("id").asText());
        assertEquals(1, holders.get(0).path("packages").asInt());
        assertEquals(0, a.describeNodes(Optional.of(D1)).size(), "nobody holds the evicted package");
        assertEquals(2, a.describeNodes(Optional.empty()).size());

        b.close();
        await("b's document gone with b", () -> a.cachedPackages("b").isEmpty());
    }
}
