package dev.nest.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.FunctionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Burst workers (a node's report names how many of a function's instances it made workers in a merged pod) are
 * accounted as the merged instances they are: their memory inside a merged pod's room, no pod slot of their own, the
 * parked reserve when parked, and a merged pod's base when they fill one and open another.
 */
class PlacementBurstAccountingTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final FunctionId B = FunctionId.of("default", "b");
    private static final String DIGEST = "sha256:" + "a".repeat(64);
    /** Node.js: 4 functions and 512 MiB per merged pod, 64 MiB of host. */
    private static final Function<String, MergedShape> SHAPES = r -> r.equals("nodejs")
            ? new MergedShape(4, 512, false, 64) : MergedShape.UNBOUNDED;

    /** {@code count} instances of {@code B} on node a, placed as pods of their own (the leader's view). */
    private static List<PlacedInstance> busy(int count) {
        List<PlacedInstance> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new PlacedInstance("b-" + i, B, 1, "a", "z1", 128, 0, 0, false, false, "nodejs"));
        }
        return out;
    }

    /** {@code count} quiet merged functions of 128 MiB on node a. */
    private static List<PlacedInstance> quiet(int count) {
        List<PlacedInstance> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new PlacedInstance("q-" + i, FunctionId.of("default", "q" + i), 1, "a", "z1", 128, 0, 0, false, true,
                    "nodejs"));
        }
        return out;
    }

    @SafeVarargs
    private static List<PlacedInstance> all(List<PlacedInstance>... parts) {
        return Stream.of(parts).flatMap(List::stream).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void accountsBurstWorkersAsMerged(String why, Map<FunctionId, Integer> burst, Map<FunctionId, Integer> parked,
                                      int memoryMb, long nodeMemoryMb, int maxPods, List<PlacedInstance> existing,
                                      boolean placed) {
        NodeState node = new NodeState("a", "z1", nodeMemoryMb, 4000, maxPods, Map.of(), Set.of(), Set.of(), parked,
                burst);
        PlacementRequest req = new PlacementRequest(F, 1, "nodejs", DIGEST, memoryMb, 0, false, SHAPES.apply("nodejs"));
        PlacementDecision d = Placement.decide(req, List.of(node), existing, SHAPES);
        assertEquals(placed, d instanceof PlacementDecision.Placed, why + ": " + d);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("none reported: b's 3 instances are 3 pods, with the merged pod 4 of 4: full",
                        Map.of(), Map.of(), 128, 8192, 4, all(busy(3), quiet(1)), false),
                Arguments.of("two of b's are burst workers: 1 pod of its own + 1 merged pod (3 functions) of 4: fits",
                        Map.of(B, 2), Map.of(), 128, 8192, 4, all(busy(3), quiet(1)), true),
                Arguments.of("a count above b's instances there counts only those 3: one merged pod, 1 of 1 pods: full",
                        Map.of(B, 9), Map.of(), 128, 8192, 1, all(busy(3), quiet(1)), false),
                Arguments.of("the same with 2 pods at most: all of b in the merged pod, a dedicated 128 fits",
                        Map.of(B, 9), Map.of(), 128, 8192, 2, all(busy(3), quiet(1)), true),
                Arguments.of("parked burst workers counted whole when not named burst: 64 + 4 x 128 = 576 of 600,"
                        + " a dedicated 64 does not fit", Map.of(), Map.of(B, 2), 64, 600, 10,
                        all(busy(3), quiet(1)), false),
                Arguments.of("parked burst workers held at the parked reserve: 64 + 2 x 128 + 2 x 2 = 324 of 400,"
                        + " a dedicated 64 fits", Map.of(B, 2), Map.of(B, 2), 64, 400, 10, all(busy(3), quiet(1)), true),
                Arguments.of("burst workers that fill the merged pod open a second one with its base: 2 x 64 + 5 x 128"
                        + " = 768 of 800, a dedicated 64 does not fit", Map.of(B, 2), Map.of(), 64, 800, 10,
                        all(busy(2), quiet(3)), false),
                Arguments.of("the same node with 832 MiB: it fits", Map.of(B, 2), Map.of(), 64, 832, 10,
                        all(busy(2), quiet(3)), true),
                Arguments.of("another function named burst changes nothing for b: 3 pods + 1 merged of 4: full",
                        Map.of(FunctionId.of("default", "other"), 2), Map.of(), 128, 8192, 4, all(busy(3), quiet(1)),
                        false));
    }

    @Test
    void relabelsTheFunctionsInstancesOnTheReportingNodeOnlyNotDrainingFirst() {
        List<PlacedInstance> existing = new ArrayList<>(busy(3));
        existing.set(2, existing.get(2).drained());
        existing.add(new PlacedInstance("b-9", B, 1, "c", "z2", 128, 0, 0, false, false, "nodejs"));
        NodeState a = new NodeState("a", "z1", 8192, 4000, 10, Map.of(), Set.of(), Set.of(), Map.of(), Map.of(B, 2));
        NodeState c = new NodeState("c", "z2", 8192, 4000, 10, Map.of(), Set.of());
        List<PlacedInstance> out = Placement.asPlaced(List.of(a, c), existing);
        assertEquals(List.of(true, true, false, false), out.stream().map(PlacedInstance::merged).toList(),
                "b-0 and b-1 (not draining) on a are workers; draining b-2 and b-9 on c stay pods");
        assertEquals(existing.stream().map(PlacedInstance::instanceId).toList(),
                out.stream().map(PlacedInstance::instanceId).toList(), "order and ids kept");
        NodeState a3 = new NodeState("a", "z1", 8192, 4000, 10, Map.of(), Set.of(), Set.of(), Map.of(), Map.of(B, 3));
        assertEquals(List.of(true, true, true, false), Placement.asPlaced(List.of(a3, c), existing).stream()
                .map(PlacedInstance::merged).toList(), "a draining one counts once the others are taken");
        assertEquals(existing, Placement.asPlaced(List.of(c), existing), "no report: unchanged");
    }
}
