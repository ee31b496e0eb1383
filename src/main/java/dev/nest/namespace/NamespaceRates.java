package dev.nest.namespace;

import java.util.Optional;

/**
 * The invocation rate a namespace is limited to, with its burst, for the gateway's admission
 * ({@code limits.Admission}), which asks on every invocation. Implementations answer from memory, without I/O or long
 * locks, on any thread (gateway event loops); a change reaches every node within a second.
 */
@FunctionalInterface
public interface NamespaceRates {
    /** No namespace has a rate limit. */
    NamespaceRates NONE = ns -> Optional.empty();

    /** {@code limits.rate} and {@code limits.burst} of {@code namespace}; empty when it has none. */
    Optional<NamespaceRate> rate(String namespace);
}
