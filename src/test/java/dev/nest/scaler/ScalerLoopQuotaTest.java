package dev.nest.scaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.InMemoryCatalog;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.namespace.NamespaceQuota;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The scaler never asks for more instances than the namespace's quota leaves a function. */
class ScalerLoopQuotaTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final FunctionId A = FunctionId.of("shop", "a");
    private static final FunctionId B = FunctionId.of("shop", "b");
    private static final FunctionId C = FunctionId.of("billing", "c");

    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private final Map<FunctionId, InstanceLoad> load = new LinkedHashMap<>();
    private final Map<FunctionId, Integer> targets = new HashMap<>();
    private final Map<String, NamespaceQuota> quotas = new HashMap<>();
    private final TargetSink sink = new TargetSink() {
        @Override
        public void setTarget(FunctionId id, int instances) {
            targets.put(id, instances);
        }

        @Override
        public void clearTarget(FunctionId id) {
            targets.remove(id);
        }
    };
    // the standard rules without the arrival headroom of a scale-up at once: the need is the requests in flight
    private final ScalerLoop loop = new ScalerLoop(catalog, () -> Map.copyOf(load), sink, Scaler.variant(0, true, 0),
            java.time.Clock.fixed(T0, java.time.ZoneOffset.UTC), ns -> quotas.getOrDefault(ns, NamespaceQuota.NONE));

    private void deploy(FunctionId id, int memoryMb) {
        FunctionSpec spec = new FunctionSpec(id, "nodejs", "", memoryMb, Duration.ofSeconds(30), 1, Map.of(),
                ScalingSpec.DEFAULT.withMinMax(0, 100), QueueSpec.DEFAULT);
        catalog.put(FunctionRecord.empty(id, "api", T0).withNewVersion("sha256:" + "0".repeat(64), spec, "api", T0, true));
    }

    /** {@code waiting} requests in flight or queued on one ready instance. */
    private void busy(FunctionId id, int waiting) {
        load.put(id, new InstanceLoad(id, 1, 1, 1, 1, 0, waiting - 1, 0));
    }

    @Test
    void targetsAreCappedByWhatTheNamespaceQuotaLeaves() {
        deploy(A, 128);
        deploy(B, 128);
        deploy(C, 128);
        quotas.put("shop", new NamespaceQuota(OptionalInt.of(10), OptionalLong.empty()));
        busy(A, 7);
        busy(B, 7);
        busy(C, 7);
        loop.setActive(true);
        loop.tick();
        int a = targets.get(A);
        int b = targets.get(B);
        assertEquals(10, a + b, "A and B share the 10 instances of shop: " + targets);
        assertTrue(a <= 7 && b <= 7, targets.toString());
        assertEquals(7, targets.get(C), "billing has no quota");
        FunctionId capped = a < 7 ? A : B;
        ScalingStatus s = loop.status(capped).orElseThrow();
        assertTrue(s.reason().contains("capped at " + targets.get(capped) + ": scaling shop/" + capped.name()
                + " to 7 would exceed quota.instances of namespace 'shop': limit 10"), s.reason());
    }

    @Test
    void memoryQuotaCapsTheCount() {
        deploy(A, 512);
        quotas.put("shop", new NamespaceQuota(OptionalInt.empty(), OptionalLong.of(2048)));
        busy(A, 9);
        loop.setActive(true);
        loop.tick();
        assertEquals(4, targets.get(A));
        quotas.clear();
        loop.tick();
        assertEquals(9, targets.get(A), "without the quota the need is met: " + List.of(targets));
    }
}
