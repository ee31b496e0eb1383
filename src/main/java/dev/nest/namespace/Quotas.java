package dev.nest.namespace;

/**
 * The quota of a namespace, as the components that enforce it read it (scheduler, node agent, scaler, deployer).
 * Implementations answer from memory, without I/O, on any thread.
 */
@FunctionalInterface
public interface Quotas {
    /** No namespace has a quota. */
    Quotas NONE = ns -> NamespaceQuota.NONE;

    /** The quota of {@code namespace}; {@link NamespaceQuota#NONE} when none is set. */
    NamespaceQuota quota(String namespace);
}
