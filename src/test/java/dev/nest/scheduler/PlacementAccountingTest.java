package dev.nest.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.FunctionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A node's pods and memory with merged pods of every runtime counted, each with its base memory. */
class PlacementAccountingTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final String DIGEST = "sha256:" + "a".repeat(64);
    /** Node.js: 4 functions and 512 MiB per merged pod, 64 MiB of host; Java: 2 and 512, 100 MiB of host. */
    private static final Function<String, MergedShape> SHAPES = r -> switch (r) {
        case "nodejs" -> new MergedShape(4, 512, false, 64);
        case "java" -> new MergedShape(2, 512, false, 100);
        default -> MergedShape.UNBOUNDED;
    };

    private static List<PlacedInstance> merged(String runtime, int count, int memoryMb) {
        List<PlacedInstance> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new PlacedInstance(runtime + "-" + i, FunctionId.of("default", runtime + i), 1, "a", "z1", memoryMb, 0, 0,
                    false, true, runtime));
        }
        return out;
    }

    private static List<PlacedInstance> dedicated(int count, int memoryMb) {
        List<PlacedInstance> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new PlacedInstance("d-" + i, FunctionId.of("default", "d" + i), 1, "a", "z1", memoryMb, 0, 0, false));
        }
        return out;
    }

    @SafeVarargs
    private static List<PlacedInstance> all(List<PlacedInstance>... parts) {
        return Stream.of(parts).flatMap(List::stream).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String why, boolean merged, int memoryMb, long nodeMemoryMb, int maxPods, List<PlacedInstance> existing,
                 boolean placed) {
        NodeState node = new NodeState("a", "z1", nodeMemoryMb, 4000, maxPods, Map.of(), Set.of());
        PlacementRequest req = new PlacementRequest(F, 1, "nodejs", DIGEST, memoryMb, 0, merged, SHAPES.apply("nodejs"));
        PlacementDecision d = Placement.decide(req, List.of(node), existing, SHAPES);
        assertEquals(placed, d instanceof PlacementDecision.Placed, why + ": " + d);
    }

    /**
     * Parked merged instances (worker unloaded; the node's load report names how many per function) are reserved at
     * their runtime's parked memory ({@link MergedShape#PARKED_MB} here), not their whole memory.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("parkedTable")
    void reservesAParkedFunctionAtWhatItHolds(String why, Map<FunctionId, Integer> parked, boolean merged, int memoryMb,
                                              long nodeMemoryMb, List<PlacedInstance> existing, boolean placed) {
        NodeState node = new NodeState("a", "z1", nodeMemoryMb, 4000, 100, Map.of(), Set.of(), Set.of(), parked);
        PlacementRequest req = new PlacementRequest(F, 1, "nodejs", DIGEST, memoryMb, 0, merged, SHAPES.apply("nodejs"));
        PlacementDecision d = Placement.decide(req, List.of(node), existing, SHAPES);
        assertEquals(placed, d instanceof PlacementDecision.Placed, why + ": " + d);
    }

    static Stream<Arguments> parkedTable() {
        FunctionId n0 = FunctionId.of("default", "nodejs0");
        FunctionId n1 = FunctionId.of("default", "nodejs1");
        FunctionId j0 = FunctionId.of("default", "java0");
        // 4 Node.js functions of 128 MiB in one merged pod: 64 + 512 held when awake
        return Stream.of(
                Arguments.of("none parked: 64 + 4 x 128 = 576 held of 700, a dedicated 128 does not fit", Map.of(), false, 128,
                        700, merged("nodejs", 4, 128), false),
                Arguments.of("two parked: 64 + 2 x 128 + 2 x 2 = 324 held of 700, a dedicated 128 fits",
                        Map.of(n0, 1, n1, 1), false, 128, 700, merged("nodejs", 4, 128), true),
                Arguments.of("two parked, a dedicated 400 does not fit in the 376 left", Map.of(n0, 1, n1, 1), false, 400, 700,
                        merged("nodejs", 4, 128), false),
                Arguments.of("a count above the function's merged instances there reserves only those: 64 + 3 x 128 + 2 = 450"
                        + " held of 577, a dedicated 128 does not fit", Map.of(n0, 5), false, 128, 577,
                        merged("nodejs", 4, 128), false),
                Arguments.of("the same node with 578 MiB: it fits", Map.of(n0, 5), false, 128, 578, merged("nodejs", 4, 128), true),
                Arguments.of("a dedicated instance named parked is reserved whole: 128 + 128 held of 300, 128 more does not fit",
                        Map.of(FunctionId.of("default", "d0"), 1), false, 128, 300, dedicated(2, 128), false),
                Arguments.of("a parked instance of a runtime of unknown shape is reserved whole: 3 x 128 of 500, 128 does not fit",
                        Map.of(FunctionId.of("default", "python0"), 1), false, 128, 500, merged("python", 3, 128), false),
                Arguments.of("every Node.js function parked: 64 + 4 x 2 held of 264, a merged 128 opening a second pod"
                        + " (64 more) fits", Map.of(n0, 1, n1, 1, FunctionId.of("default", "nodejs2"), 1,
                        FunctionId.of("default", "nodejs3"), 1), true, 128, 264, merged("nodejs", 4, 128), true),
                Arguments.of("Java parked counts too when its shape says so: 100 + 2 + 128 held of 400, a dedicated 170 fits",
                        Map.of(j0, 1), false, 170, 400, merged("java", 2, 128), true));
    }

    @org.junit.jupiter.api.Test
    void aMoveDoesNotGoToANodeWhoseMergedPodsOfAnotherRuntimeFillIt() {
        NodeState a = new NodeState("a", "z1", 8192, 4000, 3, Map.of(), Set.of());
        NodeState b = new NodeState("b", "z2", 8192, 4000, 1, Map.of(), Set.of());
        List<PlacedInstance> mine = List.of(new PlacedInstance("f-1", F, 1, "a", "z1", 128, 0, 0, false),
                new PlacedInstance("f-2", F, 1, "a", "z1", 128, 0, 0, false));
        List<PlacedInstance> javaOnB = List.of(new PlacedInstance("j-1", FunctionId.of("default", "j"), 1, "b", "z2", 128, 0, 0,
                false, true, "java"));
        PlacementRequest req = new PlacementRequest(F, 1, "nodejs", DIGEST, 128, 0, false, SHAPES.apply("nodejs"));
        assertEquals("b", Placement.rebalance(req, List.of(a, b), mine, SHAPES).map(m -> m.to().id()).orElse("none"),
                "an empty node in the other zone takes the move");
        assertEquals("none", Placement.rebalance(req, List.of(a, b), all(mine, javaOnB), SHAPES).map(m -> m.to().id())
                .orElse("none"), "b's one pod is a Java merged pod");
    }

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("a dedicated instance beside a Java merged pod and a dedicated one, 2 pods at most: full",
                        false, 128, 8192, 2, all(merged("java", 1, 128), dedicated(1, 128)), false),
                Arguments.of("the same with 3 pods at most: fits", false, 128, 8192, 3,
                        all(merged("java", 1, 128), dedicated(1, 128)), true),
                Arguments.of("a dedicated instance beside a Node.js merged pod, 1 pod at most: full", false, 128, 8192, 1,
                        merged("nodejs", 1, 128), false),
                Arguments.of("a merged instance opening a Node.js pod beside a Java one and a dedicated, 2 pods: full",
                        true, 128, 8192, 2, all(merged("java", 2, 128), dedicated(1, 128)), false),
                Arguments.of("a merged instance joining its runtime's pod needs no slot", true, 128, 8192, 2,
                        all(merged("nodejs", 1, 128), dedicated(1, 128)), true),
                Arguments.of("a merged pod's base counts: 64 + 3 x 128 held of 600, a dedicated 200 does not fit", false, 200,
                        600, 10, merged("nodejs", 3, 128), false),
                Arguments.of("without the base it would: 3 x 128 held of 600 with a runtime of unknown shape", false, 200,
                        600, 10, merged("python", 3, 128), true),
                Arguments.of("opening a merged pod needs its base free: 128 + 64 of 150", true, 128, 150, 10, List.of(), false),
                Arguments.of("opening a merged pod with its base free: 128 + 64 of 192", true, 128, 192, 10, List.of(), true),
                Arguments.of("joining a merged pod needs only the instance's memory: 64 + 128 held, 128 more of 320",
                        true, 128, 320, 10, merged("nodejs", 1, 128), true));
    }
}
