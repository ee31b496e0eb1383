package dev.nest.cluster;

import dev.nest.function.FunctionCatalog;
import dev.nest.namespace.NamespaceUsage;
import dev.nest.namespace.UsageSource;
import java.util.List;
import java.util.function.Supplier;

/**
 * What each namespace holds in the region, from the ready instances the nodes publish ({@link ReadyCount}s), each
 * instance counted with its version's memory from the catalog (a version the catalog no longer has counts with no
 * memory). Reads memory only; thread-safe.
 */
public final class NamespaceUsages {
    private NamespaceUsages() {
    }

    /** The other nodes' ready instances, as they last published them: what a node agent does not see itself. */
    public static UsageSource elsewhere(Cluster cluster, FunctionCatalog catalog) {
        return ns -> sum(ns, cluster.readyElsewhere(), catalog);
    }

    /** The whole region: {@code local} (this node's ready instances) and the other nodes'. */
    public static UsageSource region(Cluster cluster, FunctionCatalog catalog, Supplier<List<ReadyCount>> local) {
        return ns -> sum(ns, local.get(), catalog).plus(sum(ns, cluster.readyElsewhere(), catalog));
    }

    /** The instances of {@code namespace}'s functions among {@code counts}, with their memory. */
    static NamespaceUsage sum(String namespace, List<ReadyCount> counts, FunctionCatalog catalog) {
        NamespaceUsage u = NamespaceUsage.NONE;
        for (ReadyCount c : counts) {
            if (c.function().namespace().equals(namespace) && c.ready() > 0) {
                int memory = catalog.get(c.function()).flatMap(r -> r.version(c.version()))
                        .map(v -> v.spec().memoryMb()).orElse(0);
                u = u.plus(c.ready(), memory);
            }
        }
        return u;
    }
}
