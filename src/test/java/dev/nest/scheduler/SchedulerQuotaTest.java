package dev.nest.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.namespace.NamespaceQuota;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The scheduler places no instance beyond its namespace's quota, counted over the namespace's functions. */
class SchedulerQuotaTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final FunctionId A = FunctionId.of("shop", "a");
    private static final FunctionId B = FunctionId.of("shop", "b");
    private static final FunctionId OTHER = FunctionId.of("billing", "c");

    private final Map<FunctionId, FunctionRecord> records = new HashMap<>();
    private final Map<String, NamespaceQuota> quotas = new HashMap<>();
    private final FunctionCatalog catalog = new FunctionCatalog() {
        @Override
        public Optional<FunctionRecord> get(FunctionId id) {
            return Optional.ofNullable(records.get(id));
        }

        @Override
        public Collection<FunctionRecord> all() {
            return List.copyOf(records.values());
        }

        @Override
        public void addListener(Listener listener) {
        }
    };
    private final Scheduler.Applier applier = new Scheduler.Applier() {
        @Override
        public void apply(String nodeId, FunctionId id, int instances) {
        }

        @Override
        public void release(String nodeId, FunctionId id) {
        }
    };
    private final List<NodeState> nodes = List.of(new NodeState("n1", "z1", 64_000, 64_000, 100, Map.of(), Set.of()));
    private final Scheduler scheduler = new Scheduler(catalog, () -> nodes, applier, 0, Clock.fixed(T0, ZoneOffset.UTC),
            ns -> quotas.getOrDefault(ns, NamespaceQuota.NONE));

    private void deploy(FunctionId id, int memoryMb) {
        records.put(id, FunctionRecord.empty(id, "api", T0).withNewVersion("sha256:" + "b".repeat(64),
                new FunctionSpec(id, "nodejs", "", memoryMb, Duration.ofSeconds(30), 1, Map.of(), ScalingSpec.DEFAULT,
                        QueueSpec.DEFAULT), "api", T0, true));
    }

    @Test
    void placesUpToTheQuotaAndNamesItInTheShortfall() {
        deploy(A, 256);
        deploy(B, 256);
        deploy(OTHER, 256);
        quotas.put("shop", new NamespaceQuota(OptionalInt.of(3), OptionalLong.empty()));
        record Row(FunctionId id, int desired, int placed, int shortfall) {
        }
        List<Row> rows = List.of(
                new Row(A, 2, 2, 0),
                new Row(B, 2, 1, 1),        // A holds 2 of 3
                new Row(OTHER, 10, 10, 0),  // another namespace is not limited
                new Row(A, 1, 1, 0),        // A gives one back...
                new Row(B, 2, 2, 0),        // ...and B gets it
                new Row(A, 0, 0, 0));
        for (Row r : rows) {
            Scheduler.Status s = scheduler.scale(r.id(), r.desired());
            assertEquals(r.desired(), s.wanted(), r.toString());
            assertEquals(r.placed(), s.placed(), r.toString());
            assertEquals(r.shortfall(), s.shortfall(), r.toString());
            if (r.shortfall() > 0) {
                assertTrue(s.reason().contains("quota.instances of namespace 'shop': limit 3, in use 2"), s.reason());
                assertTrue(scheduler.events().stream().anyMatch(e -> e.id().equals(r.id()) && e.kind().equals("quota")
                        && e.reason().startsWith(r.shortfall() + " of " + r.desired() + " not placed")), r.toString());
            }
        }
    }

    @Test
    void countsMemoryAndRemovesTheSurplusWhenTheQuotaIsLowered() {
        deploy(A, 512);
        deploy(B, 256);
        quotas.put("shop", new NamespaceQuota(OptionalInt.empty(), OptionalLong.of(2048)));
        assertEquals(4, scheduler.scale(A, 6).placed()); // 4 x 512 = 2Gi
        assertEquals(0, scheduler.scale(B, 1).placed());
        quotas.put("shop", new NamespaceQuota(OptionalInt.empty(), OptionalLong.of(1024)));
        Scheduler.Status s = scheduler.scale(A, 6);
        assertEquals(2, s.placed());
        assertTrue(s.reason().contains("quota.memory of namespace 'shop': limit 1Gi"), s.reason());
        assertEquals(2, scheduler.instances().stream().filter(i -> i.id().equals(A)).count());
    }
}
