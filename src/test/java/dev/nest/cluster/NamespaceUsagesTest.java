package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.InMemoryCatalog;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.namespace.NamespaceUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A namespace's usage from published ready counts: each instance with its own version's memory. */
class NamespaceUsagesTest {
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");
    private static final FunctionId CART = FunctionId.of("shop", "cart");
    private static final FunctionId PAY = FunctionId.of("billing", "pay");

    private static FunctionSpec spec(FunctionId id, int memoryMb) {
        return new FunctionSpec(id, "nodejs", "", memoryMb, Duration.ofSeconds(30), 1, Map.of(), ScalingSpec.DEFAULT,
                QueueSpec.DEFAULT);
    }

    @Test
    void sumsTheNamespacesInstancesWithTheirVersionsMemory() {
        InMemoryCatalog catalog = new InMemoryCatalog();
        catalog.put(FunctionRecord.empty(CART, "api", T0)
                .withNewVersion("sha256:" + "a".repeat(64), spec(CART, 128), "api", T0, true)
                .withNewVersion("sha256:" + "b".repeat(64), spec(CART, 512), "api", T0, true));
        catalog.put(FunctionRecord.empty(PAY, "api", T0)
                .withNewVersion("sha256:" + "c".repeat(64), spec(PAY, 256), "api", T0, true));
        List<ReadyCount> counts = List.of(
                new ReadyCount(CART, 1, 2, 0),   // the old version still has two: 2 x 128
                new ReadyCount(CART, 2, 1, 1),   // the live one: 512
                new ReadyCount(CART, 7, 3, 0),   // a version the catalog does not have: counted without memory
                new ReadyCount(PAY, 1, 4, 0),
                new ReadyCount(FunctionId.of("shop", "gone"), 1, 1, 0));
        record Row(String namespace, NamespaceUsage expected) {
        }
        for (Row r : List.of(new Row("shop", new NamespaceUsage(7, 768)), new Row("billing", new NamespaceUsage(4, 1024)),
                new Row("other", NamespaceUsage.NONE))) {
            assertEquals(r.expected(), NamespaceUsages.sum(r.namespace(), counts, catalog), r.namespace());
        }
    }
}
