package dev.nest.namespace;

/**
 * What a namespace holds somewhere the caller does not see first-hand (for a node agent: on the other nodes of the
 * region, as they last published). Implementations answer from memory, without I/O, on any thread.
 */
@FunctionalInterface
public interface UsageSource {
    /** Nothing anywhere else (a single node). */
    UsageSource NONE = ns -> NamespaceUsage.NONE;

    NamespaceUsage usage(String namespace);
}
