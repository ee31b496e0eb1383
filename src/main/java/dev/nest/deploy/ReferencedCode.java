package dev.nest.deploy;

import dev.nest.artifact.ArtifactStore;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionRecord;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The code packages the artifact cache must keep: every digest some version of some function refers to (on a single
 * node such code exists nowhere else, and a rollback needs it). Until the catalog is {@link #attach attached} (the
 * artifact store opens before the cluster is joined) it pins everything ({@link ArtifactStore#PIN_ALL}).
 *
 * <p>Thread-safe; each call reads the catalog from memory.
 */
public final class ReferencedCode implements Supplier<Set<String>> {
    private volatile FunctionCatalog catalog;

    /** From now on, pins what {@code catalog}'s versions refer to. */
    public void attach(FunctionCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public Set<String> get() {
        FunctionCatalog c = catalog;
        if (c == null) {
            return ArtifactStore.PIN_ALL;
        }
        Set<String> digests = new HashSet<>();
        for (FunctionRecord r : c.all()) {
            r.versions().values().forEach(v -> digests.add(v.digest()));
        }
        return digests;
    }
}
