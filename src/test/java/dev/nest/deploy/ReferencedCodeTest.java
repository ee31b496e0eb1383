package dev.nest.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.nest.artifact.ArtifactStore;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The artifact cache keeps the code of every version, and everything while the catalog is unknown. */
class ReferencedCodeTest {
    private static FunctionRecord function(String name, String... digests) {
        TreeMap<Integer, FunctionVersion> versions = new TreeMap<>();
        for (int i = 0; i < digests.length; i++) {
            versions.put(i + 1, new FunctionVersion(i + 1, digests[i], null, Instant.EPOCH, "api"));
        }
        return new FunctionRecord(FunctionId.of("default", name), digests.length, List.of(), versions, "api",
                Instant.EPOCH, Instant.EPOCH);
    }

    private static FunctionCatalog catalog(FunctionRecord... records) {
        return new FunctionCatalog() {
            @Override
            public Optional<FunctionRecord> get(FunctionId id) {
                return List.of(records).stream().filter(r -> r.id().equals(id)).findFirst();
            }

            @Override
            public Collection<FunctionRecord> all() {
                return List.of(records);
            }

            @Override
            public void addListener(Listener listener) {
            }
        };
    }

    @Test
    void everythingIsPinnedUntilTheCatalogIsKnown() {
        assertSame(ArtifactStore.PIN_ALL, new ReferencedCode().get());
    }

    @Test
    void everyVersionsCodeIsPinned() {
        ReferencedCode pins = new ReferencedCode();
        pins.attach(catalog(function("f", "sha256:a", "sha256:b"), function("g", "sha256:b", "sha256:c")));
        assertEquals(Set.of("sha256:a", "sha256:b", "sha256:c"), pins.get(), "old versions too: a rollback needs them");
        pins.attach(catalog());
        assertEquals(Set.of(), pins.get());
    }
}
