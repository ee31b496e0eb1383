package dev.nest.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.scheduler.NodeState;
import dev.nest.scheduler.Scheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The leader's placements over an in-memory store, a recording local agent and a real scheduler. */
class LeaderPlacementsTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    /** The store: instances by function by node; {@code failing} refuses writes (not the leader yet). */
    final Map<String, Map<FunctionId, Integer>> stored = new HashMap<>();
    boolean failing;
    final PlacementStore store = new PlacementStore() {
        @Override
        public Map<String, Map<FunctionId, Integer>> all() {
            Map<String, Map<FunctionId, Integer>> copy = new HashMap<>();
            stored.forEach((n, m) -> copy.put(n, Map.copyOf(m)));
            return copy;
        }

        @Override
        public void write(String nodeId, FunctionId id, int instances) {
            if (failing) {
                throw new IllegalStateException("not the leader");
            }
            stored.computeIfAbsent(nodeId, k -> new HashMap<>()).put(id, instances);
        }

        @Override
        public void delete(String nodeId, FunctionId id) {
            if (failing) {
                throw new IllegalStateException("not the leader");
            }
            Map<FunctionId, Integer> m = stored.get(nodeId);
            if (m != null) {
                m.remove(id);
                if (m.isEmpty()) {
                    stored.remove(nodeId);
                }
            }
        }
    };
    final Map<FunctionId, Integer> local = new HashMap<>();
    final Targets targets = new Targets() {
        @Override
        public Optional<Integer> target(FunctionId id) {
            return Optional.ofNullable(local.get(id));
        }

        @Override
        public void setTarget(FunctionId id, int instances) {
            local.put(id, instances);
        }

        @Override
        public void clearTarget(FunctionId id) {
            local.remove(id);
        }
    };
    final FunctionRecord record = FunctionRecord.empty(F, "api", T0).withNewVersion("sha256:" + "b".repeat(64),
            new FunctionSpec(F, "nodejs", "", 256, Duration.ofSeconds(30), 1, Map.of(), ScalingSpec.DEFAULT, QueueSpec.DEFAULT),
            "api", T0, true);
    final FunctionCatalog catalog = new FunctionCatalog() {
        @Override
        public Optional<FunctionRecord> get(FunctionId id) {
            return Optional.of(record).filter(r -> r.id().equals(id));
        }

        @Override
        public Collection<FunctionRecord> all() {
            return List.of(record);
        }

        @Override
        public void addListener(Listener listener) {
        }
    };
    /** n1 (this node) and n2 in zone a, n3 in zone b. */
    final List<NodeState> live = new ArrayList<>(List.of(node("n1", "a"), node("n2", "a"), node("n3", "b")));
    final LeaderPlacements leader = new LeaderPlacements("n1", () -> List.copyOf(live), store, targets, () -> true);
    final Scheduler scheduler = new Scheduler(catalog, leader, leader, 0, Clock.fixed(T0, ZoneOffset.UTC));

    LeaderPlacementsTest() {
        leader.attach(scheduler);
    }

    static NodeState node(String id, String zone) {
        return new NodeState(id, zone, 4096, 4000, 10, Map.of(), Set.of());
    }

    @Test
    void placementsAreWrittenPerNodeAndThisNodesGoesToItsAgentToo() {
        scheduler.scale(F, 2);
        assertEquals(Map.of("n1", Map.of(F, 1), "n3", Map.of(F, 1)), stored, "one per zone");
        assertEquals(Map.of(F, 1), local);
        scheduler.scale(F, 0);
        assertEquals(Map.of(), stored, "a count of 0 is no placement");
        assertEquals(Map.of(F, 0), local);
        scheduler.release(F);
        assertEquals(Map.of(), local);
    }

    @Test
    void aDeadNodesSandboxesArePlacedOnTheNodesLeftOtherZonesFirst() {
        scheduler.scale(F, 2); // n1 (a), n3 (b)
        live.removeIf(n -> n.id().equals("n3"));
        leader.sync();
        assertEquals(Map.of("n1", Map.of(F, 1), "n2", Map.of(F, 1)), stored, "n3's instance went to n2; n3's placement is gone");
        assertEquals(2, scheduler.status(F).orElseThrow().placed());

        live.add(node("n3", "b"));
        live.removeIf(n -> n.id().equals("n2"));
        leader.sync();
        assertEquals(Map.of("n1", Map.of(F, 1), "n3", Map.of(F, 1)), stored, "the other zone is preferred again");
    }

    @Test
    void writesThatFailedAreRepairedBySync() {
        failing = true;
        scheduler.scale(F, 3);
        assertEquals(Map.of(), stored);
        failing = false;
        leader.sync();
        assertEquals(3, stored.values().stream().mapToInt(m -> m.get(F)).sum());
        assertEquals(Map.of(F, 1), local, "this node's agent was told at once, without the store");
    }

    @Test
    void aNewLeaderAdoptsWhatIsPlacedAndDropsPlacementsOfDeadNodes() {
        stored.put("n2", new HashMap<>(Map.of(F, 2)));
        stored.put("gone", new HashMap<>(Map.of(F, 1)));
        leader.takeOver();
        leader.sync();
        assertEquals(Map.of("n2", Map.of(F, 2)), stored);
        Scheduler.Status s = scheduler.scale(F, 2);
        assertEquals(Map.of("n2", 2), s.perNode(), "nothing placed twice");
        s = scheduler.scale(F, 3);
        assertEquals(3, s.placed());
        assertTrue(stored.containsKey("n3"), "the third goes to the other zone: " + stored);
    }

    @Test
    void aCountThatDidNotFitIsPlacedWhenANodeJoins() {
        live.removeIf(n -> !n.id().equals("n1"));
        live.set(0, new NodeState("n1", "a", 4096, 4000, 1, Map.of(), Set.of())); // one pod slot
        assertEquals(1, scheduler.scale(F, 2).shortfall());
        live.add(node("n3", "b"));
        leader.sync();
        assertEquals(Map.of("n1", Map.of(F, 1), "n3", Map.of(F, 1)), stored);
        assertEquals(0, scheduler.status(F).orElseThrow().shortfall());
    }

    @Test
    void aStrayPlacementIsDeleted() {
        scheduler.scale(F, 1);
        stored.put("n2", new HashMap<>(Map.of(F, 5))); // written by a leader that was fenced off meanwhile
        leader.sync();
        assertEquals(Map.of("n1", Map.of(F, 1)), stored);
    }
}
