package dev.nest.function;

import java.util.Collection;
import java.util.Optional;

/**
 * Read side of the desired state: the functions this node knows, kept current by the cluster module.
 * Reads are lock-free and cheap (the gateway calls {@link #get} on every invocation).
 */
public interface FunctionCatalog {
    Optional<FunctionRecord> get(FunctionId id);

    Collection<FunctionRecord> all();

    /** Registers a listener called (on a cluster thread) after a function changed or was removed. */
    void addListener(Listener listener);

    /** Told about changes to the catalog. */
    interface Listener {
        void changed(FunctionId id, Optional<FunctionRecord> now);
    }
}
