package dev.nest.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The pure placement and removal decisions, as tables. */
class PlacementTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final FunctionId G = FunctionId.of("default", "g");
    private static final String DIGEST = "sha256:" + "a".repeat(64);
    private static final PlacementRequest REQ = new PlacementRequest(F, 1, "nodejs", DIGEST, 128, 250);

    private static NodeState node(String id, String zone, long memoryMb, long cpuMillis) {
        return new NodeState(id, zone, memoryMb, cpuMillis, 100, Map.of(), Set.of());
    }

    private static NodeState warm(String id, String zone) {
        return new NodeState(id, zone, 4096, 4000, 100, Map.of("nodejs", 1), Set.of());
    }

    private static NodeState cached(String id, String zone) {
        return new NodeState(id, zone, 4096, 4000, 100, Map.of(), Set.of(DIGEST));
    }

    private static NodeState serving(String id, String zone, FunctionId fn) {
        return new NodeState(id, zone, 4096, 4000, 100, Map.of(), Set.of(), Set.of(fn));
    }

    /** {@code count} instances of {@code fn} on {@code node}. */
    private static List<PlacedInstance> on(FunctionId fn, String node, String zone, int count, int memoryMb) {
        List<PlacedInstance> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new PlacedInstance(fn.name() + "-" + node + "-" + i, fn, 1, node, zone, memoryMb, 0, 0, false));
        }
        return out;
    }

    private static List<PlacedInstance> all(List<List<PlacedInstance>> parts) {
        return parts.stream().flatMap(List::stream).toList();
    }

    static Stream<Arguments> placements() {
        return Stream.of(
                Arguments.of("the only node with room", List.of(node("a", "z1", 100, 4000), node("b", "z1", 4096, 4000)),
                        List.of(), "b"),
                Arguments.of("memory used by other functions counts", List.of(node("a", "z1", 1024, 4000), node("b", "z1", 1024, 4000)),
                        on(G, "a", "z1", 7, 128), "b"),
                Arguments.of("CPU must be free too", List.of(node("a", "z1", 4096, 200), node("b", "z1", 4096, 4000)),
                        List.of(), "b"),
                Arguments.of("zones tie: the emptier node of them", List.of(node("a", "z1", 4096, 4000),
                        node("b", "z1", 4096, 4000), node("c", "z2", 4096, 4000)),
                        all(List.of(on(F, "a", "z1", 1, 128), on(F, "c", "z2", 1, 128), on(F, "c", "z2", 0, 128))), "b"),
                Arguments.of("zones first, then nodes", List.of(node("a", "z1", 4096, 4000), node("b", "z1", 4096, 4000),
                        node("c", "z2", 4096, 4000)), on(F, "a", "z1", 1, 128), "c"),
                Arguments.of("nodes second within the zone", List.of(node("a", "z1", 4096, 4000), node("b", "z1", 4096, 4000)),
                        on(F, "a", "z1", 2, 128), "b"),
                Arguments.of("a warm pool pod of the runtime is preferred", List.of(node("a", "z1", 8192, 4000), warm("b", "z1")),
                        List.of(), "b"),
                Arguments.of("the cached package is preferred", List.of(node("a", "z1", 8192, 4000), cached("b", "z1")),
                        List.of(), "b"),
                Arguments.of("spreading beats a warm pod", List.of(node("a", "z1", 4096, 4000), warm("b", "z1")),
                        on(F, "b", "z1", 1, 128), "a"),
                Arguments.of("warm beats cached", List.of(cached("a", "z1"), warm("b", "z1")), List.of(), "b"),
                Arguments.of("a node with a ready instance of the function adopts it before a warm pod",
                        List.of(warm("a", "z1"), cached("b", "z1"), serving("c", "z1", F)), List.of(), "c"),
                Arguments.of("a ready instance of another function is no reason",
                        List.of(warm("a", "z1"), serving("b", "z1", G)), List.of(), "a"),
                Arguments.of("spreading beats a ready instance", List.of(node("a", "z2", 4096, 4000), serving("b", "z1", F)),
                        on(F, "b", "z1", 1, 128), "a"),
                Arguments.of("then the most free memory", List.of(node("a", "z1", 2048, 4000), node("b", "z1", 4096, 4000)),
                        List.of(), "b"),
                Arguments.of("then the id", List.of(node("b", "z1", 4096, 4000), node("a", "z1", 4096, 4000)),
                        List.of(), "a"),
                Arguments.of("draining instances hold memory but do not count for spreading",
                        List.of(node("a", "z1", 256, 4000), node("b", "z1", 4096, 4000)),
                        List.of(new PlacedInstance("f-x", F, 1, "a", "z1", 200, 0, 0, true)), "b"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("placements")
    void places(String name, List<NodeState> nodes, List<PlacedInstance> existing, String expected) {
        PlacementDecision d = Placement.decide(REQ, nodes, existing);
        PlacementDecision.Placed p = assertInstanceOf(PlacementDecision.Placed.class, d, d.reason());
        assertEquals(expected, p.node().id(), p.reason());
    }

    @Test
    void aNodeThatJoinsGetsOneInstanceOfAConcentratedFunctionAtATime() {
        // zone z1 holds all three; n3 in z2 joined empty
        List<NodeState> nodes = List.of(node("n1", "z1", 4096, 4000), node("n2", "z1", 4096, 4000), node("n3", "z2", 4096, 4000));
        List<PlacedInstance> existing = all(List.of(on(F, "n1", "z1", 2, 128), on(F, "n2", "z1", 1, 128)));
        Placement.Move m = Placement.rebalance(REQ, nodes, existing).orElseThrow();
        assertEquals("n1", m.from().nodeId(), m.reason());
        assertEquals("n3", m.to().id(), m.reason());
        assertTrue(m.reason().contains("3 in zone z1") && m.reason().contains("0 in zone z2"), m.reason());

        // after the move (n1 1, n2 1, n3 1) nothing is uneven enough to move again
        List<PlacedInstance> after = all(List.of(on(F, "n1", "z1", 1, 128), on(F, "n2", "z1", 1, 128), on(F, "n3", "z2", 1, 128)));
        assertTrue(Placement.rebalance(REQ, nodes, after).isEmpty());
    }

    @Test
    void aDifferenceOfOneIsLeftAloneAndOtherFunctionsDoNotCount() {
        List<NodeState> nodes = List.of(node("a", "z1", 4096, 4000), node("b", "z2", 4096, 4000), node("c", "z3", 4096, 4000));
        assertTrue(Placement.rebalance(REQ, nodes, all(List.of(on(F, "a", "z1", 1, 128), on(F, "b", "z2", 1, 128)))).isEmpty(),
                "c is empty, but moving would only shift the imbalance");
        assertTrue(Placement.rebalance(REQ, nodes, all(List.of(on(F, "a", "z1", 1, 128), on(G, "a", "z1", 5, 128)))).isEmpty(),
                "one instance is as even as it gets");
        assertTrue(Placement.rebalance(REQ, nodes, List.of()).isEmpty(), "nothing placed, nothing to move");
    }

    @Test
    void withinAZoneTheEmptierNodeTakesOneAndANodeWithoutRoomNone() {
        List<NodeState> nodes = List.of(node("a", "z1", 4096, 4000), node("b", "z1", 4096, 4000));
        Placement.Move m = Placement.rebalance(REQ, nodes, on(F, "a", "z1", 3, 128)).orElseThrow();
        assertEquals("a", m.from().nodeId());
        assertEquals("b", m.to().id());
        List<NodeState> full = List.of(node("a", "z1", 4096, 4000), node("b", "z1", 100, 4000));
        assertTrue(Placement.rebalance(REQ, full, on(F, "a", "z1", 3, 128)).isEmpty(), "b has no room for it");
        List<PlacedInstance> draining = new ArrayList<>(on(F, "a", "z1", 1, 128));
        draining.add(new PlacedInstance("f-d", F, 1, "a", "z1", 128, 0, 0, true));
        assertTrue(Placement.rebalance(REQ, nodes, draining).isEmpty(), "a draining instance is on its way out already");
    }

    @Test
    void noCapacityIsAnExplicitResultWithAReason() {
        PlacementDecision d = Placement.decide(REQ, List.of(node("a", "z1", 1024, 4000)), on(G, "a", "z1", 8, 128));
        assertInstanceOf(PlacementDecision.NoCapacity.class, d);
        assertTrue(d.reason().contains("no node has 128 MiB and 250 millicores free"), d.reason());
        assertTrue(d.reason().contains("the most free: 0 MiB, 4000 millicores"), d.reason());

        PlacementDecision full = Placement.decide(REQ, List.of(new NodeState("a", "z1", 4096, 4000, 2, Map.of(), Set.of())),
                on(G, "a", "z1", 2, 16));
        assertInstanceOf(PlacementDecision.NoCapacity.class, full, "no pod slot left");
        assertInstanceOf(PlacementDecision.NoCapacity.class, Placement.decide(REQ, List.of(), List.of()));
    }

    @Test
    void removalTakesTheMostCrowdedZoneThenTheLeastLoadedInstance() {
        List<PlacedInstance> f = new ArrayList<>();
        f.add(new PlacedInstance("f-1", F, 1, "a", "z1", 128, 0, 3, false));
        f.add(new PlacedInstance("f-2", F, 1, "b", "z1", 128, 0, 1, false));
        f.add(new PlacedInstance("f-3", F, 1, "b", "z1", 128, 0, 2, false));
        f.add(new PlacedInstance("f-4", F, 1, "c", "z2", 128, 0, 0, false));
        f.add(new PlacedInstance("f-5", F, 1, "d", "z3", 128, 0, 0, true));
        // z1 holds 3: its least loaded (f-2) goes first; then z1 and z2 hold 2 and 1: z1 again (f-3), then
        // z1 and z2 tie at one each: the idle one in z2 (f-4); the draining one is never chosen
        assertEquals(List.of("f-2", "f-3", "f-4", "f-1"),
                Placement.removalOrder(f, 10).stream().map(PlacedInstance::instanceId).toList());
    }

    @Test
    void removalBreaksTiesByTheMostCrowdedNodeThenTheNewest() {
        List<PlacedInstance> f = new ArrayList<>();
        f.add(new PlacedInstance("f-1", F, 1, "a", "z1", 128, 0, 0, false));
        f.add(new PlacedInstance("f-2", F, 1, "b", "z1", 128, 0, 0, false));
        f.add(new PlacedInstance("f-3", F, 1, "b", "z1", 128, 0, 0, false));
        assertEquals(List.of("f-3", "f-2", "f-1"), Placement.removalOrder(f, 3).stream().map(PlacedInstance::instanceId).toList());
    }
}
