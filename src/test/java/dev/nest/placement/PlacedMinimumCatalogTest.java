package dev.nest.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The node agent's view of the catalog in a cluster. */
class PlacedMinimumCatalogTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    FunctionRecord record = FunctionRecord.empty(F, "api", T0).withNewVersion("sha256:" + "b".repeat(64),
            new FunctionSpec(F, "nodejs", "", 256, Duration.ofSeconds(30), 1, Map.of(), ScalingSpec.DEFAULT.withMinMax(2, 5),
                    QueueSpec.DEFAULT), "api", T0, true);
    final List<FunctionCatalog.Listener> listeners = new ArrayList<>();
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
            listeners.add(listener);
        }
    };
    final PlacedMinimumCatalog view = new PlacedMinimumCatalog(catalog);

    @Test
    void theMinimumIsZeroAndEverythingElseIsKept() {
        FunctionRecord seen = view.get(F).orElseThrow();
        assertEquals(0, seen.liveVersion().orElseThrow().spec().scaling().min());
        assertEquals(5, seen.liveVersion().orElseThrow().spec().scaling().max());
        assertEquals(record.liveVersion().orElseThrow().digest(), seen.liveVersion().orElseThrow().digest());
        assertEquals(record.live(), seen.live());
        assertSame(seen, view.get(F).orElseThrow(), "made once per change");
        assertEquals(List.of(seen), List.copyOf(view.all()));
    }

    @Test
    void listenersHearTheMappedRecord() {
        List<FunctionRecord> heard = new ArrayList<>();
        view.addListener((id, now) -> now.ifPresent(heard::add));
        record = record.withNewVersion("sha256:" + "c".repeat(64), record.liveVersion().orElseThrow().spec(), "api", T0, true);
        listeners.forEach(l -> l.changed(F, Optional.of(record)));
        assertEquals(0, heard.getFirst().liveVersion().orElseThrow().spec().scaling().min());
        assertEquals(2, heard.getFirst().live());
    }
}
