package dev.nest.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nest.function.DeployMode;
import dev.nest.function.FunctionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Merged placement as the scheduler decides it (ADR 0025): which functions are mergeable, how many merged pods a
 * node's merged instances need (by memory, at most max-functions, namespaces apart), and where a merged instance goes
 * (spread over zones, joining a pod before opening one, a pod slot only for a new pod).
 */
class PlacementPackingTest {
    private static final String DIGEST = "sha256:" + "b".repeat(64);
    /** 4 functions, 512 MiB of instance memory per merged pod; one namespace per pod. */
    private static final MergedShape SHAPE = new MergedShape(4, 512, false);

    @ParameterizedTest(name = "{0}")
    @MethodSource("mergeables")
    void mergeable(String why, DeployMode deploy, boolean canMerge, double perMinute, int mergeBelow, boolean merged) {
        assertEquals(merged, Placement.mergeable(deploy, canMerge, perMinute, mergeBelow), why);
    }

    static Stream<Arguments> mergeables() {
        return Stream.of(
                Arguments.of("dedicated never", DeployMode.DEDICATED, true, 0.0, 6, false),
                Arguments.of("merged always", DeployMode.MERGED, true, 1e6, 6, true),
                Arguments.of("no merged host: never", DeployMode.MERGED, false, 0.0, 6, false),
                Arguments.of("auto under the threshold", DeployMode.AUTO, true, 5.9, 6, true),
                Arguments.of("auto at the threshold", DeployMode.AUTO, true, 6.0, 6, false),
                Arguments.of("auto with merge-below 0", DeployMode.AUTO, true, 0.0, 0, false),
                Arguments.of("auto without a merged host", DeployMode.AUTO, false, 0.0, 6, false));
    }

    /** A merged instance of {@code ns/name} on node a of {@code memoryMb}. */
    private static PlacedInstance merged(String ns, String name, int memoryMb) {
        return new PlacedInstance(ns + "-" + name, FunctionId.of(ns, name), 1, "a", "z1", memoryMb, 0, 0, false, true,
                "nodejs");
    }

    private static List<PlacedInstance> many(String ns, int count, int memoryMb) {
        List<PlacedInstance> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(merged(ns, "f" + i, memoryMb));
        }
        return out;
    }

    private static List<PlacedInstance> concat(List<PlacedInstance> a, List<PlacedInstance> b) {
        List<PlacedInstance> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packings")
    void mergedPods(String why, List<PlacedInstance> instances, MergedShape shape, int pods) {
        assertEquals(pods, Placement.mergedPods(instances, shape), why);
    }

    static Stream<Arguments> packings() {
        return Stream.of(
                Arguments.of("none", List.of(), SHAPE, 0),
                Arguments.of("one", many("a", 1, 128), SHAPE, 1),
                Arguments.of("max-functions fill a pod", many("a", 4, 64), SHAPE, 1),
                Arguments.of("one more opens another", many("a", 5, 64), SHAPE, 2),
                Arguments.of("memory fills a pod before max-functions", many("a", 3, 256), SHAPE, 2),
                Arguments.of("largest first: 384+128 and 256+256 fit two pods",
                        List.of(merged("a", "x", 128), merged("a", "y", 256), merged("a", "z", 384),
                                merged("a", "w", 256)), SHAPE, 2),
                Arguments.of("larger than a pod's room: a pod of its own", many("a", 1, 600), SHAPE, 1),
                Arguments.of("namespaces never share a pod", concat(many("a", 1, 64), many("b", 1, 64)), SHAPE, 2),
                Arguments.of("unless merge-across-namespaces", concat(many("a", 1, 64), many("b", 1, 64)),
                        new MergedShape(4, 512, true), 1));
    }

    private static NodeState node(String id, String zone, int maxPods) {
        return new NodeState(id, zone, 8192, 8000, maxPods, Map.of(), Set.of());
    }

    private static PlacedInstance at(String node, String zone, String ns, String name, boolean merged) {
        return new PlacedInstance(node + "-" + ns + "-" + name, FunctionId.of(ns, name), 1, node, zone, 128, 0, 0, false,
                merged, "nodejs");
    }

    private static List<PlacedInstance> mergedOn(String node, String zone, String ns, int count) {
        List<PlacedInstance> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(at(node, zone, ns, "g" + i, true));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("placements")
    void decide(String why, String namespace, List<NodeState> nodes, List<PlacedInstance> existing, String expected) {
        PlacementRequest req = new PlacementRequest(FunctionId.of(namespace, "f"), 1, "nodejs", DIGEST, 128, 0, true,
                SHAPE);
        PlacementDecision d = Placement.decide(req, nodes, existing);
        assertEquals(expected, d instanceof PlacementDecision.Placed p ? p.node().id() : "none", d::toString);
    }

    static Stream<Arguments> placements() {
        return Stream.of(
                Arguments.of("joins a merged pod with room rather than opening one", "ns",
                        List.of(node("a", "z1", 8), node("b", "z1", 8)), mergedOn("b", "z1", "ns", 1), "b"),
                Arguments.of("a full merged pod: the new pod needs a slot; none left", "ns",
                        List.of(node("a", "z1", 1)), mergedOn("a", "z1", "ns", 4), "none"),
                Arguments.of("a merged pod with room needs no slot even on a full node", "ns",
                        List.of(node("a", "z1", 1)), mergedOn("a", "z1", "ns", 3), "a"),
                Arguments.of("another namespace's pod is not joined: a new pod needs a slot", "other",
                        List.of(node("a", "z1", 1)), mergedOn("a", "z1", "ns", 1), "none"),
                Arguments.of("dedicated pods use the slots a new merged pod needs", "ns", List.of(node("a", "z1", 2)),
                        List.of(at("a", "z1", "ns", "d1", false), at("a", "z1", "ns", "d2", false)), "none"),
                Arguments.of("spread over zones first: the zone without the function, though it opens a pod", "ns",
                        List.of(node("a", "z1", 8), node("b", "z2", 8)),
                        concat(mergedOn("a", "z1", "ns", 1), List.of(at("a", "z1", "ns", "f", true))), "b"));
    }

    @Test
    void aShapeNamesWhatIsWrong() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MergedShape(0, 512, false));
        assertEquals("a merged pod holds at least one function of at least 1 MiB, got max-functions 0 and 512 MiB",
                e.getMessage());
    }
}
