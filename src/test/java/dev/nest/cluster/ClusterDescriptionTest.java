package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The descriptions serialize to the JSON the admin API has always returned: field names, order and shapes. */
class ClusterDescriptionTest {
    private static final NodeInfo B = new NodeInfo("b", "10.0.0.2", 8080, "zone-a", "r1", "process",
            Instant.parse("2026-01-02T03:04:05Z"), Map.of("max-pods", "8"));

    @Test
    void aNodeIsItsRegistrationWithPoolsAndPackages() {
        JsonNode n = Json.mapper().valueToTree(NodeDescription.of(B, Map.of("nodejs", 2), 3));
        assertEquals(List.of("id", "address", "port", "zone", "region", "driver", "started", "labels", "pools", "packages"),
                fields(n));
        assertEquals("2026-01-02T03:04:05Z", n.path("started").asText());
        assertEquals(8080, n.path("port").asInt());
        assertEquals(2, n.path("pools").path("nodejs").asInt());
        assertEquals(3, n.path("packages").asInt());
        assertEquals("8", n.path("labels").path("max-pods").asText());
    }

    @Test
    void theClusterKeepsItsFieldNames() {
        ReadyDocument doc = new ReadyDocument("b", "10.0.0.2", 8080, "zone-a",
                List.of(new ReadyDocument.Entry("default/f", 1, 2, 0)), Map.of("nodejs", 1));
        ClusterDescription d = new ClusterDescription("r1", "CONNECTED", "a", "a", true, 4,
                List.of(NodeDescription.of(B, Map.of(), 0)), Map.of("b", doc),
                Map.of("b", Map.of("default/f", new NodePlacement(2, 1, 4))));
        JsonNode n = Json.mapper().valueToTree(d);
        assertEquals(List.of("region", "state", "node", "leader", "isLeader", "epoch", "nodes", "ready", "placements"),
                fields(n));
        assertEquals(true, n.path("isLeader").asBoolean());
        assertEquals(4, n.path("epoch").asInt());
        assertEquals(List.of("node", "address", "port", "zone", "instances", "pools"), fields(n.path("ready").path("b")));
        assertEquals(List.of("function", "version", "ready", "inFlight"),
                fields(n.path("ready").path("b").path("instances").get(0)));
        assertEquals(List.of("instances", "version", "epoch"), fields(n.path("placements").path("b").path("default/f")));
    }

    private static List<String> fields(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
