package dev.nest.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.FunctionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Merged instances in placement: their own memory counts, a pod slot does not. */
class PlacementMergedTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final FunctionId G = FunctionId.of("default", "g");
    private static final String DIGEST = "sha256:" + "a".repeat(64);

    /** A node of 2 pods at most. */
    private static NodeState node(String id, long memoryMb) {
        return new NodeState(id, "z1", memoryMb, 4000, 2, Map.of(), Set.of());
    }

    private static List<PlacedInstance> on(String node, int count, int memoryMb, boolean merged) {
        List<PlacedInstance> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new PlacedInstance("g-" + node + "-" + merged + "-" + i, G, 1, node, "z1", memoryMb, 0, 0, false, merged));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String why, boolean merged, List<NodeState> nodes, List<PlacedInstance> existing, String expected) {
        PlacementRequest req = new PlacementRequest(F, 1, "nodejs", DIGEST, 128, 0, merged);
        PlacementDecision d = Placement.decide(req, nodes, existing);
        assertEquals(expected, d instanceof PlacementDecision.Placed p ? p.node().id() : "none", d::toString);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("a dedicated instance needs a pod slot", false, List.of(node("a", 4096)),
                        on("a", 2, 128, false), "none"),
                Arguments.of("a merged instance needs none", true, List.of(node("a", 4096)), on("a", 2, 128, false), "a"),
                Arguments.of("merged instances take no slot from dedicated ones", false, List.of(node("a", 4096)),
                        on("a", 20, 64, true), "a"),
                Arguments.of("merged instances count by their own memory", true, List.of(node("a", 1024)),
                        on("a", 7, 128, true), "a"),
                Arguments.of("and fill a node's memory like any other", true, List.of(node("a", 1024)),
                        on("a", 8, 128, true), "none"),
                Arguments.of("the node with more memory free", true, List.of(node("a", 2048), node("b", 2048)),
                        on("a", 4, 128, true), "b"));
    }
}
