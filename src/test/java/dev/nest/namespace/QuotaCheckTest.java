package dev.nest.namespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class QuotaCheckTest {
    private static final NamespaceQuota TWO = new NamespaceQuota(OptionalInt.of(2), OptionalLong.empty());
    private static final NamespaceQuota GIB = new NamespaceQuota(OptionalInt.empty(), OptionalLong.of(1024));
    private static final NamespaceQuota BOTH = NamespaceQuota.of(4, 1024);

    private record Row(String name, NamespaceQuota quota, NamespaceUsage used, int memoryEach, int headroom,
                       int ask, Optional<String> exceeded) {
    }

    @Test
    void headroomAndAdmissionFollowTheTighterLimit() {
        List<Row> rows = List.of(
                new Row("no quota", NamespaceQuota.NONE, new NamespaceUsage(100, 100_000), 256, Integer.MAX_VALUE, 50, Optional.empty()),
                new Row("instances: room for one", TWO, new NamespaceUsage(1, 0), 256, 1, 1, Optional.empty()),
                new Row("instances: full", TWO, new NamespaceUsage(2, 0), 256, 0, 1, Optional.of("quota.instances")),
                new Row("instances: over after a lowered quota", TWO, new NamespaceUsage(5, 0), 256, 0, 1, Optional.of("quota.instances")),
                new Row("instances: asks two, one fits", TWO, new NamespaceUsage(1, 0), 256, 1, 2, Optional.of("quota.instances")),
                new Row("memory: four of 256", GIB, NamespaceUsage.NONE, 256, 4, 4, Optional.empty()),
                new Row("memory: the fifth does not fit", GIB, new NamespaceUsage(4, 1024), 256, 0, 1, Optional.of("quota.memory")),
                new Row("memory: 1000 used leaves no 128", GIB, new NamespaceUsage(1, 1000), 128, 0, 1, Optional.of("quota.memory")),
                new Row("memory: zero-memory instances", GIB, new NamespaceUsage(1, 1024), 0, Integer.MAX_VALUE, 3, Optional.empty()),
                new Row("both: memory binds first", BOTH, new NamespaceUsage(1, 512), 512, 1, 2, Optional.of("quota.memory")),
                new Row("both: instances bind first", BOTH, new NamespaceUsage(3, 0), 128, 1, 2, Optional.of("quota.instances")),
                new Row("nothing asked", TWO, new NamespaceUsage(9, 0), 256, 0, 0, Optional.empty()),
                new Row("zero quota", NamespaceQuota.of(0, 0), NamespaceUsage.NONE, 128, 0, 1, Optional.of("quota.instances")));
        for (Row r : rows) {
            assertEquals(r.headroom(), QuotaCheck.headroom(r.quota(), r.used(), r.memoryEach()), r.name());
            Optional<QuotaExceeded> e = QuotaCheck.admit("shop", r.quota(), r.used(), r.ask(), r.memoryEach(), "starting x");
            assertEquals(r.exceeded(), e.map(QuotaExceeded::key), r.name());
            assertEquals(Math.min(r.ask(), r.headroom()), QuotaCheck.cap(r.quota(), r.used(), r.memoryEach(), r.ask()), r.name());
        }
    }

    @Test
    void theMessageNamesTheQuotaItsLimitUsageAndHowToRaiseIt() {
        String m = QuotaCheck.admit("shop", TWO, new NamespaceUsage(2, 512), 1, 256, "starting an instance of shop/cart")
                .orElseThrow().detail();
        assertTrue(m.startsWith("starting an instance of shop/cart would exceed quota.instances of namespace 'shop'"), m);
        assertTrue(m.contains("limit 2, in use 2 instance(s), needs 1 instance(s) more"), m);
        assertTrue(m.contains("nest ns set shop --max-instances N"), m);
        assertTrue(m.contains("PUT /api/v1/namespaces/shop"), m);
        String mem = QuotaCheck.admit("shop", GIB, new NamespaceUsage(4, 1024), 1, 256, "x").orElseThrow().detail();
        assertTrue(mem.contains("quota.memory of namespace 'shop': limit 1Gi, in use 1Gi, needs 256Mi (1 x 256Mi)"), mem);
        assertTrue(mem.contains("--max-memory SIZE"), mem);
    }
}
