package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.artifact.PackageFormats;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The registration field ({@link NodeInfo#PACKAGE_FORMATS}) and the ratchet as {@link ClusterPackageFormat} reads
 * them: hostile registrations and records, then nodes on a real in-process ZooKeeper (waits on the mirror's updates,
 * never sleeps).
 */
class ClusterPackageFormatTest {
    private TestingServer zk;
    private final List<Cluster> clusters = new java.util.ArrayList<>();
    private final Semaphore changes = new Semaphore(0);

    @AfterEach
    void stop() throws Exception {
        for (Cluster c : clusters.reversed()) {
            c.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    private static NodeInfo node(String id, Map<String, String> labels) {
        return new NodeInfo(id, "127.0.0.1", 8080, "zone-a", "formats", "process", Instant.EPOCH, labels);
    }

    private static byte[] registration(NodeInfo n) {
        return Json.bytes(n);
    }

    @Test
    void registrationsAreReadConservatively() {
        Map<String, byte[]> regs = new LinkedHashMap<>();
        regs.put("new", registration(node("new", Map.of(NodeInfo.PACKAGE_FORMATS, PackageFormats.READS))));
        regs.put("old", registration(node("old", Map.of(NodeInfo.SCHEME, "http"))));
        regs.put("nolabels", "{\"id\":\"nolabels\",\"address\":\"h\",\"port\":1}".getBytes(StandardCharsets.UTF_8));
        regs.put("future", registration(node("future", Map.of(NodeInfo.PACKAGE_FORMATS, "2,3,4"))));
        regs.put("liar", registration(node("liar", Map.of(NodeInfo.PACKAGE_FORMATS, "3,banana"))));
        regs.put("garbage", new byte[] {(byte) 0xff, 0x00, '{'});
        regs.put("empty", new byte[0]);
        regs.put("array", "[1,2]".getBytes(StandardCharsets.UTF_8));
        Map<String, Set<Integer>> reads = new LinkedHashMap<>();
        Map<String, String> notes = new LinkedHashMap<>();
        for (PackageFormats.Node n : ClusterPackageFormat.nodes(regs)) {
            reads.put(n.id(), n.reads());
            notes.put(n.id(), n.note());
        }
        assertEquals(Set.of(1, 2), reads.get("new"));
        assertEquals(Set.of(1), reads.get("old"));
        assertTrue(notes.get("old").contains("older release"), notes.get("old"));
        assertEquals(Set.of(1), reads.get("nolabels"));
        assertEquals(Set.of(1, 2), reads.get("future"), "unknown formats are ignored");
        assertEquals(Set.of(1), reads.get("liar"));
        assertEquals(Set.of(1), reads.get("garbage"));
        assertEquals("unreadable registration", notes.get("garbage"));
        assertEquals(Set.of(1), reads.get("empty"));
        assertEquals(Set.of(1), reads.get("array"));
        assertEquals(8, reads.size(), "every registration counts, readable or not");
        assertEquals(1, PackageFormats.decide(PackageFormats.Setting.AUTO, ClusterPackageFormat.nodes(regs), false).format());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1", "3", "22", "two", "2x", "\u0000", "22222222222222222222"})
    void aRatchetThatIsNotTwoIsNotSet(String value) {
        assertFalse(ClusterPackageFormat.ratchet(value.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aRatchetOfTwoIsSet() {
        assertTrue(ClusterPackageFormat.ratchet("2".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(ClusterPackageFormat.ratchet(" 2\n".getBytes(StandardCharsets.US_ASCII)));
        assertFalse(ClusterPackageFormat.ratchet(null));
    }

    private Cluster start(NodeInfo self) {
        NestConfig.Cluster config = new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(5), 2);
        Cluster c = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, self, Clock.systemUTC());
        clusters.add(c);
        return c;
    }

    private void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            assertTrue(left > 0 && changes.tryAcquire(left, TimeUnit.NANOSECONDS) || done.getAsBoolean(), "timed out: " + what);
        }
    }

    @Test
    void formatTwoOnceEveryLiveNodeReadsItAndTheRatchetHoldsWhenAnOlderNodeJoins() throws Exception {
        zk = new TestingServer(true);
        Map<String, String> reads2 = Map.of(NodeInfo.PACKAGE_FORMATS, PackageFormats.READS);
        Cluster a = start(node("a", reads2));
        a.membership().onNodesChanged(changes::release);
        Cluster old = start(node("old", Map.of()));
        await("a sees the old node", () -> a.nodes().size() == 2);
        ClusterPackageFormat auto = a.packageFormat(PackageFormats.Setting.AUTO);
        PackageFormats.Decision d = auto.current();
        assertEquals(1, d.format(), d.reason());
        assertTrue(d.reason().contains("old"), d.reason());
        assertFalse(auto.ratcheted());

        // garbage in the record is ignored, never read as "2"
        a.client().create().creatingParentContainersIfNeeded().forPath(a.paths().packageFormat(),
                "garbage".getBytes(StandardCharsets.US_ASCII));
        assertFalse(auto.ratcheted());
        a.client().delete().forPath(a.paths().packageFormat());

        old.close();
        clusters.remove(old);
        Cluster b = start(node("b", reads2));
        await("a sees b and not old", () -> a.nodes().stream().map(NodeInfo::id).toList().equals(List.of("a", "b")));
        d = auto.current();
        assertEquals(2, d.format(), d.reason());
        assertTrue(auto.ratcheted(), "format 2 is recorded");
        assertEquals("2", new String(a.client().getData().forPath(a.paths().packageFormat()), StandardCharsets.US_ASCII));

        Cluster late = start(node("late", Map.of(NodeInfo.PACKAGE_FORMATS, "1")));
        await("a sees the late old node", () -> a.nodes().size() == 3);
        d = auto.current();
        assertEquals(2, d.format(), "the ratchet holds: " + d.reason());
        assertTrue(d.reason().contains("late") && d.reason().contains("upgrade"), d.reason());
        assertEquals(1, a.packageFormat(PackageFormats.Setting.FORMAT_1).current().format(), "a pin to 1 wins");
        assertTrue(b.nodes().size() >= 2 && late.nodes().size() >= 2);
    }
}
