package dev.nest.namespace;

import java.util.Optional;

/**
 * The invocation rate a namespace is limited to, for the gateway's rate limiter. Implementations answer from memory,
 * without I/O, on any thread (the gateway may ask per request); a change reaches every node within a second.
 */
@FunctionalInterface
public interface NamespaceRates {
    /** No namespace has a rate limit. */
    NamespaceRates NONE = ns -> Optional.empty();

    /** {@code limits.rate} and {@code limits.burst} of {@code namespace}; empty when it has none. */
    Optional<NamespaceRate> rate(String namespace);
}
