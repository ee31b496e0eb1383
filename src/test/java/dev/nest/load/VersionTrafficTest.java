package dev.nest.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nest.common.Json;
import dev.nest.function.FunctionId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-version traffic in the load reports, as the leader's releases read it. */
class VersionTrafficTest {
    private static final List<Long> EMPTY = Collections.nCopies(VersionTraffic.BUCKETS, 0L);
    private long now;

    private static VersionTraffic traffic(int version, long requests) {
        List<Long> latency = new ArrayList<>(EMPTY);
        latency.set(3, requests);
        return new VersionTraffic("default/f", version, requests, requests / 10, latency);
    }

    @Test
    void aReportCarriesItsVersionsThroughJson() throws Exception {
        LoadReport sent = new LoadReport("n2", "b1", List.of(), List.of(), List.of(traffic(2, 40)));
        LoadReport got = Json.mapper().treeToValue(Json.tree(Json.bytes(sent), "report"), LoadReport.class);
        assertEquals(sent, got);
        LoadReport old = Json.mapper().treeToValue(Json.tree(
                "{\"node\": \"n3\", \"boot\": \"b\", \"functions\": [], \"starved\": []}".getBytes(), "report"), LoadReport.class);
        assertEquals(List.of(), old.versions(), "a node that predates version traffic sends none");
    }

    @Test
    void theLeaderKeysEachNodesCountersByNodeAndBootAndForgetsSilentNodes() {
        ClusterLoad load = new ClusterLoad("n1", Map::of, () -> now, () -> List.of(traffic(1, 5)));
        load.accept(new LoadReport("n2", "b1", List.of(), List.of(), List.of(traffic(2, 40))));
        assertEquals(Map.of("n1/local", List.of(traffic(1, 5)), "n2/b1", List.of(traffic(2, 40))), load.traffic());
        load.accept(new LoadReport("n2", "b2", List.of(), List.of(), List.of(traffic(2, 3))));
        assertEquals(List.of(traffic(2, 3)), load.traffic().get("n2/b2"), "a restarted node is a new key");
        now += ClusterLoad.EXPIRY.toNanos() + 1;
        assertEquals(Map.of("n1/local", List.of(traffic(1, 5))), load.traffic());
    }

    @Test
    void refusesCountsThatCannotBe() {
        assertThrows(IllegalArgumentException.class, () -> new VersionTraffic("default/f", 1, 5, 6, EMPTY));
        assertThrows(IllegalArgumentException.class, () -> new VersionTraffic("default/f", 0, 5, 0, EMPTY));
        assertThrows(IllegalArgumentException.class, () -> new VersionTraffic("default/f", 1, 5, 0, List.of(5L)));
        assertEquals(0, VersionTraffic.bucket(0.5));
        assertEquals(FunctionId.parse("default/f").toString(), traffic(1, 1).function());
    }
}
