package dev.nest.limits;

import dev.nest.common.Rate;
import java.util.Optional;

/**
 * The rate limit of each namespace (set through the API with the namespace's settings): what {@link Admission}
 * asks on every invocation. The bucket of a namespace holds one second's worth of its rate (its count per second,
 * at least 1) and refills at the rate.
 *
 * <p>Called on gateway event-loop threads: an implementation answers from memory, without I/O or long locks.
 */
@FunctionalInterface
public interface NamespaceRates {
    /** No namespace has a limit. */
    NamespaceRates NONE = namespace -> Optional.empty();

    /** The limit of {@code namespace}; empty when it has none. */
    Optional<Rate> rate(String namespace);
}
