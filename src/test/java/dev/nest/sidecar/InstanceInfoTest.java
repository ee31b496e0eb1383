package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The instance list's {@code placement}: dedicated, merged or burst (a burst worker), and its JSON. */
class InstanceInfoTest {
    @ParameterizedTest(name = "merged {0}, burst {1}: {2}")
    @CsvSource({
            "false, false, dedicated",
            "false, true,  dedicated", // a burst start that found no merged pod with room runs in a pod of its own
            "true,  false, merged",
            "true,  true,  burst"})
    void placementOfAnInstance(boolean merged, boolean burst, String expected) {
        assertEquals(expected, InstanceInfo.placement(merged, burst));
    }

    @Test
    void theJsonNamesThePlacementAndTheHostPod() {
        InstanceInfo worker = new InstanceInfo("i1", "default/f", 1, "READY", 0, 3, 20001, "p", 0.1, 1024, "merged-7",
                true, -1, InstanceInfo.BURST);
        String json = new String(Json.bytes(worker), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(json.contains("\"placement\":\"burst\"") && json.contains("\"hostPod\":\"merged-7\""), json);
        assertEquals("dedicated", new InstanceInfo("i2", "default/f", 1, "READY", 0, 0, 1, "p").placement());
        assertEquals("merged", new InstanceInfo("i3", "default/f", 1, "READY", 0, 0, 1, "p", -1, -1, "m", true).placement());
    }

    @Test
    void aPlacementThatContradictsMergedIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new InstanceInfo("i1",
                "default/f", 1, "READY", 0, 0, 1, "p", -1, -1, "p", false, -1, InstanceInfo.BURST));
        assertTrue(e.getMessage().contains("burst"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new InstanceInfo("i1", "default/f", 1, "READY", 0, 0, 1, "p",
                -1, -1, "p", true, -1, "shared"));
    }
}
