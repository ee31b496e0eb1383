package dev.nest.placement;

import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The catalog as a node agent (and its gateway) in a multi-node cluster sees it: {@code scaling.min} is the
 * leader's to place across the cluster (as placements), so every version reports a minimum of 0 here and a node
 * keeps only what is placed on it, rather than each node keeping the minimum. Everything else is the underlying
 * catalog's. Reads are a map lookup and an identity check: the mapped record is made once per change.
 */
public final class PlacedMinimumCatalog implements FunctionCatalog {
    private record Mapped(FunctionRecord from, FunctionRecord to) {
    }

    private final FunctionCatalog catalog;
    private final Map<FunctionId, Mapped> cache = new ConcurrentHashMap<>();

    public PlacedMinimumCatalog(FunctionCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public Optional<FunctionRecord> get(FunctionId id) {
        return catalog.get(id).map(this::mapped);
    }

    @Override
    public Collection<FunctionRecord> all() {
        return catalog.all().stream().map(this::mapped).toList();
    }

    @Override
    public void addListener(Listener listener) {
        catalog.addListener((id, now) -> listener.changed(id, now.map(this::mapped)));
    }

    private FunctionRecord mapped(FunctionRecord r) {
        Mapped m = cache.get(r.id());
        if (m != null && m.from() == r) {
            return m.to();
        }
        FunctionRecord to = withoutMinimum(r);
        cache.put(r.id(), new Mapped(r, to));
        return to;
    }

    /** {@code r} with every version's {@code scaling.min} at 0. */
    static FunctionRecord withoutMinimum(FunctionRecord r) {
        TreeMap<Integer, FunctionVersion> versions = new TreeMap<>();
        r.versions().forEach((n, v) -> {
            FunctionSpec s = v.spec();
            FunctionSpec zero = s.scaling().min() == 0 ? s : s.withScaling(
                    s.scaling().withMinMax(0, s.scaling().max())); // keeps auth, async, triggers and http
            versions.put(n, zero == s ? v : new FunctionVersion(v.version(), v.digest(), zero, v.createdAt(), v.source()));
        });
        return r.withVersions(versions);
    }
}
