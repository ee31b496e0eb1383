package dev.nest.auth;

import dev.nest.common.Rate;
import java.util.List;
import java.util.Optional;

/**
 * Who made a request: the token's name, its role and the namespaces it covers (names or globs, {@code *} for all).
 *
 * @param name       the token's name
 * @param role       what it may do
 * @param namespaces the namespaces it may do it in; never empty
 * @param rate       the token's own rate limit on invocations, if it was created with one
 */
public record Principal(String name, Role role, List<String> namespaces, Optional<Rate> rate) {
    public Principal {
        namespaces = List.copyOf(namespaces);
        rate = rate == null ? Optional.empty() : rate;
    }

    /** A principal without a rate limit. */
    public Principal(String name, Role role, List<String> namespaces) {
        this(name, role, namespaces, Optional.empty());
    }

    /** Whether the token covers {@code namespace} (use it to filter lists that span namespaces). */
    public boolean covers(String namespace) {
        return NamespaceScope.covers(namespaces, namespace);
    }

    /** Whether the token covers every namespace. */
    public boolean coversAll() {
        return namespaces.contains(NamespaceScope.ALL);
    }

    /** Whether the role permits {@code action} in {@code namespace}. */
    public boolean allows(Action action, String namespace) {
        return role.permits(action) && covers(namespace);
    }

    /**
     * Whether the role permits {@code action} on a route of that namespace, or on a route that belongs to no namespace
     * (the runtimes, the cluster, code packages, which are content-addressed): there only the role counts.
     */
    public boolean allows(Action action, Optional<String> namespace) {
        return namespace.map(ns -> allows(action, ns)).orElseGet(() -> role.permits(action));
    }
}
