package dev.nest.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.cluster.NodeInfo;
import dev.nest.function.FunctionId;
import dev.nest.scheduler.NodeState;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A registered node's labels become the capacity the scheduler places against. */
class ClusterNodesTest {
    private static final Map<String, String> OWN = Map.of(NodeInfo.MEMORY_MB, "4096", NodeInfo.CPU_MILLIS, "2000",
            NodeInfo.MAX_PODS, "16");

    private static NodeInfo node(Map<String, String> labels) {
        return new NodeInfo("b", "10.0.0.2", 8080, "zone-b", "r1", "process", Instant.EPOCH, labels);
    }

    private static Map<String, String> labels(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void capacityComesFromTheLabelsElseFromThisNode() {
        record Case(String name, Map<String, String> labels, long memoryMb, long cpuMillis, int maxPods) {
        }
        for (Case c : List.of(
                new Case("no labels at all", null, 4096, 2000, 16),
                new Case("empty labels", Map.of(), 4096, 2000, 16),
                new Case("all advertised", labels(NodeInfo.MEMORY_MB, "8192", NodeInfo.CPU_MILLIS, "4000",
                        NodeInfo.MAX_PODS, "32"), 8192, 4000, 32),
                new Case("some advertised", labels(NodeInfo.MAX_PODS, "4"), 4096, 2000, 4),
                new Case("an unreadable label", labels(NodeInfo.MEMORY_MB, "lots"), 4096, 2000, 16))) {
            NodeState s = ClusterNodes.state(node(c.labels()), OWN, Map.of(), Set.of(), Set.of());
            assertEquals(List.of(c.memoryMb(), c.cpuMillis(), (long) c.maxPods()),
                    List.of(s.memoryMb(), s.cpuMillis(), (long) s.maxPods()), c.name());
        }
    }

    @Test
    void whatTheNodePublishedIsKept() {
        FunctionId f = FunctionId.of("default", "f");
        NodeState s = ClusterNodes.state(node(Map.of()), OWN, Map.of("nodejs", 2), Set.of("sha256:ab"), Set.of(f));
        assertEquals("b", s.id());
        assertEquals("zone-b", s.zone());
        assertEquals(Map.of("nodejs", 2), s.warmPods());
        assertEquals(Set.of("sha256:ab"), s.cached());
        assertEquals(Set.of(f), s.serving());
        NodeState withBurst = ClusterNodes.state(node(Map.of()), OWN, Map.of(), Set.of(), Set.of(f), Map.of(f, 1),
                Map.of(f, 2));
        assertEquals(Map.of(f, 1), withBurst.parked());
        assertEquals(Map.of(f, 2), withBurst.burst());
    }

    @Test
    void thisMachinesCapacityNamesEveryLabel() {
        Map<String, String> c = ClusterNodes.capacity(7);
        assertEquals("7", c.get(NodeInfo.MAX_PODS));
        assertEquals(Set.of(NodeInfo.MEMORY_MB, NodeInfo.CPU_MILLIS, NodeInfo.MAX_PODS), c.keySet());
    }

    @Test
    void downNodesAreLeftOutAndTargetsAreSelected() {
        NodeInfo a = new NodeInfo("a", "10.0.0.1", 8081, "zone-a", "r1", "process", Instant.EPOCH, Map.of());
        NodeInfo b = node(Map.of());
        ClusterNodes nodes = new ClusterNodes(() -> List.of(a, b), new ClusterNodes.Published() {
            @Override
            public Map<String, Integer> warmPods(String node) {
                return Map.of("nodejs", node.equals("a") ? 1 : 2);
            }

            @Override
            public Set<String> cached(String node) {
                return Set.of();
            }

            @Override
            public Set<FunctionId> serving(String node) {
                return Set.of();
            }
        }, OWN);
        assertEquals(List.of("a", "b"), nodes.states(id -> false).stream().map(NodeState::id).toList());
        List<NodeState> live = nodes.states("a"::equals);
        assertEquals(List.of("b"), live.stream().map(NodeState::id).toList());
        assertEquals(Map.of("nodejs", 2), live.getFirst().warmPods());
        assertEquals(List.of(new NodeProbe.Target("a", "10.0.0.1", 8081, Instant.EPOCH, false)),
                nodes.targets(n -> !n.id().equals("b")));
    }
}
