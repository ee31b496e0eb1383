package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.FunctionId;
import dev.nest.pool.PoolStatus;
import dev.nest.sidecar.InstanceInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the node agent reports becomes the counts this node publishes. */
class ReadyCountsTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final FunctionId G = FunctionId.of("team", "g");

    private static InstanceInfo instance(String function, int version, String state, int inFlight) {
        return new InstanceInfo("i", function, version, state, inFlight, 0, 0, "pod");
    }

    @Test
    void readyInstancesAreCountedPerFunctionVersion() {
        record Case(String name, List<InstanceInfo> instances, List<ReadyCount> expected) {
        }
        for (Case c : List.of(
                new Case("none", List.of(), List.of()),
                new Case("only ready ones count", List.of(instance("default/f", 1, "STARTING", 0),
                        instance("default/f", 1, "READY", 2), instance("default/f", 1, "STOPPING", 1)),
                        List.of(new ReadyCount(F, 1, 1, 2))),
                new Case("per version, in-flight summed", List.of(instance("default/f", 2, "READY", 1),
                        instance("default/f", 1, "READY", 0), instance("default/f", 2, "READY", 3)),
                        List.of(new ReadyCount(F, 1, 1, 0), new ReadyCount(F, 2, 2, 4))),
                new Case("versions in numeric order", List.of(instance("default/f", 10, "READY", 0),
                        instance("default/f", 9, "READY", 0)),
                        List.of(new ReadyCount(F, 9, 1, 0), new ReadyCount(F, 10, 1, 0))),
                new Case("per function", List.of(instance("team/g", 1, "READY", 0), instance("default/f", 1, "READY", 0)),
                        List.of(new ReadyCount(F, 1, 1, 0), new ReadyCount(G, 1, 1, 0))))) {
            assertEquals(c.expected(), ReadyCounts.of(c.instances()), c.name());
        }
    }

    @Test
    void warmPodsAreTheReadyPodsPerRuntime() {
        assertEquals(Map.of(), ReadyCounts.warmPods(List.of()));
        assertEquals(Map.of("nodejs", 2, "java", 0), ReadyCounts.warmPods(List.of(
                new PoolStatus("nodejs", 3, 2, 1, 128, 0, 0, "", 0), new PoolStatus("java", 1, 0, 1, 256, 0, 0, "", 0))));
    }
}
