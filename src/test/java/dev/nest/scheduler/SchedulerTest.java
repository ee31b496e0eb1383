package dev.nest.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The scheduler applying placements through a recording applier. */
class SchedulerTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    private final List<String> applied = new ArrayList<>();
    private final Scheduler.Applier applier = new Scheduler.Applier() {
        @Override
        public void apply(String nodeId, FunctionId id, int instances) {
            applied.add(nodeId + ":" + instances);
        }

        @Override
        public void release(String nodeId, FunctionId id) {
            applied.add(nodeId + ":released");
        }
    };
    private FunctionRecord record = FunctionRecord.empty(F, "api", T0).withNewVersion("sha256:" + "b".repeat(64),
            new FunctionSpec(F, "nodejs", "", 256, Duration.ofSeconds(30), 1, Map.of(), ScalingSpec.DEFAULT, QueueSpec.DEFAULT),
            "api", T0, true);
    private final FunctionCatalog catalog = new FunctionCatalog() {
        @Override
        public Optional<FunctionRecord> get(FunctionId id) {
            return Optional.ofNullable(record).filter(r -> r.id().equals(id));
        }

        @Override
        public Collection<FunctionRecord> all() {
            return record == null ? List.of() : List.of(record);
        }

        @Override
        public void addListener(Listener listener) {
        }
    };
    private final List<NodeState> nodes = List.of(
            new NodeState("a", "z1", 1024, 4000, 100, Map.of(), Set.of()),
            new NodeState("b", "z2", 512, 4000, 100, Map.of(), Set.of()));
    private final Scheduler scheduler = new Scheduler(catalog, () -> nodes, applier, 0, Clock.fixed(T0, ZoneOffset.UTC));

    @Test
    void spreadsPlacesAsFarAsItFitsAndSaysWhatIsMissing() {
        Scheduler.Status s = scheduler.scale(F, 2);
        assertEquals(Map.of("a", 1, "b", 1), s.perNode());
        assertEquals(List.of("a:1", "b:1"), applied);

        // a takes 4 x 256, b 2 x 256: 6 fit, 2 do not
        s = scheduler.scale(F, 8);
        assertEquals(6, s.placed());
        assertEquals(2, s.shortfall());
        assertTrue(s.reason().startsWith("no node has 256 MiB"), s.reason());
        assertEquals(1, scheduler.noCapacityEvents());
        assertEquals("no-capacity", scheduler.events().getLast().kind());
        scheduler.scale(F, 8);
        assertEquals(1, scheduler.noCapacityEvents(), "an unchanged shortfall is one event");

        applied.clear();
        s = scheduler.scale(F, 3);
        // removal from the most crowded zone (z1 holds 4, z2 2) until they are even-ish
        assertEquals(Map.of("a", 2, "b", 1), s.perNode());
        assertEquals(List.of("a:2", "b:1"), applied);
    }

    @Test
    void aJoiningNodeGetsInstancesOneMoveAtATimeEachDrainedOnlyOnceItsReplacementServes() {
        Instant[] now = {T0};
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0];
            }
        };
        List<NodeState> live = new ArrayList<>(List.of(new NodeState("a", "z1", 4096, 4000, 100, Map.of(), Set.of())));
        Scheduler s = new Scheduler(catalog, () -> List.copyOf(live), applier, 0, clock);
        s.scale(F, 3);
        assertEquals(List.of("a:3"), applied);
        assertEquals(List.of(), s.rebalance(), "one node: nothing to even out");

        live.add(new NodeState("b", "z2", 4096, 4000, 100, Map.of(), Set.of()));
        live.add(new NodeState("c", "z3", 4096, 4000, 100, Map.of(), Set.of()));
        applied.clear();
        assertEquals(List.of(F), s.rebalance());
        assertEquals(List.of("b:1"), applied, "the replacement is placed first; a keeps its three");
        assertEquals(4, s.instances().size());
        assertEquals(List.of(), s.rebalance(), "a drains nothing before b serves f");

        live.set(1, new NodeState("b", "z2", 4096, 4000, 100, Map.of(), Set.of(), Set.of(F)));
        applied.clear();
        assertEquals(List.of(F), s.rebalance());
        assertEquals(List.of("a:2"), applied, "b serves: a's surplus instance is drained");
        assertEquals(List.of(), s.rebalance(), "the next move of f waits for the interval");

        now[0] = T0.plus(Scheduler.MOVE_INTERVAL);
        applied.clear();
        assertEquals(List.of(F), s.rebalance());
        assertEquals(List.of("c:1"), applied);
        now[0] = now[0].plus(Scheduler.MOVE_TIMEOUT);
        applied.clear();
        assertEquals(List.of(F), s.rebalance(), "c never served: the move completes after the timeout all the same");
        assertEquals(List.of("a:1"), applied);
        now[0] = now[0].plus(Scheduler.MOVE_INTERVAL);
        assertEquals(List.of(), s.rebalance(), "one per zone: even");
        assertEquals(Map.of("a", 1, "b", 1, "c", 1), s.status(F).orElseThrow().perNode());
        assertEquals(3, s.instances().size());
    }

    @Test
    void releaseStopsSteering() {
        scheduler.scale(F, 1);
        applied.clear();
        scheduler.release(F);
        assertEquals(List.of("a:released", "b:released"), applied);
        assertTrue(scheduler.instances().isEmpty());
    }

    @Test
    void anAutoFunctionUnderTheThresholdIsPlacedMergedAndPackedWithinThePodSlots() {
        // one pod slot per node: merged instances of one function's namespace share a pod of at most 4 functions
        // and 1024 MiB of room, spread over the two zones first
        List<NodeState> small = List.of(new NodeState("a", "z1", 4096, 4000, 1, Map.of(), Set.of()),
                new NodeState("b", "z2", 4096, 4000, 1, Map.of(), Set.of()));
        double[] perMinute = {0};
        Scheduler.Merging merging = Scheduler.Merging.byTraffic(6, id -> perMinute[0],
                runtime -> runtime.equals("nodejs") ? Optional.of(new MergedShape(4, 1024, false)) : Optional.empty());
        Scheduler merged = new Scheduler(catalog, () -> small, applier, 0, Clock.fixed(T0, ZoneOffset.UTC),
                dev.nest.namespace.Quotas.NONE, merging);
        Scheduler.Status s = merged.scale(F, 8);
        assertEquals(Map.of("a", 4, "b", 4), s.perNode(), "four merged instances in each node's one merged pod");
        assertEquals(0, s.shortfall());
        s = merged.scale(F, 9);
        assertEquals(1, s.shortfall(), "a fifth on either node would need a second pod: " + s.reason());

        // busy: at merge-below it is placed dedicated, one pod each
        perMinute[0] = 6;
        Scheduler busy = new Scheduler(catalog, () -> small, applier, 0, Clock.fixed(T0, ZoneOffset.UTC),
                dev.nest.namespace.Quotas.NONE, merging);
        s = busy.scale(F, 4);
        assertEquals(Map.of("a", 1, "b", 1), s.perNode());
        assertEquals(2, s.shortfall());
    }
}

