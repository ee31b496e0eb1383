package dev.nest.auth;

import java.util.Optional;

/**
 * What one route needs before its handler runs: nothing (open), any valid token, or a token whose role permits an
 * {@link Action}, checked against the namespace the route touches as {@link Namespace} says where to find it; and
 * whether another node of the cluster may call it with the {@link PeerCredential} instead of a token.
 *
 * @param kind      open, any token, or an action
 * @param action    the action; present exactly when {@code kind} is {@link Kind#ACTION}
 * @param namespace where the route's namespace comes from ({@link Namespace#NONE} unless {@code kind} is an action)
 * @param peer      whether a valid peer credential header is accepted instead of a token
 */
public record Requirement(Kind kind, Optional<Action> action, Namespace namespace, boolean peer) {
    /** What a route needs, coarsely. */
    public enum Kind {
        /** no token ({@code GET /health}, the readiness probe) */
        OPEN,
        /** any valid token, whatever its role (the catch-all 404s, so that a typo is answered once authenticated) */
        TOKEN,
        /** a token whose role permits {@link #action} in the route's namespace */
        ACTION
    }

    /**
     * Where a route's namespace comes from. The filter checks the namespaces it can see in the request (the query);
     * the others are a duty of the handler, which calls {@link Authorizer#check} or filters by
     * {@link Principal#covers}.
     */
    public enum Namespace {
        /** the route belongs to no namespace (code packages, runtimes, the cluster, pools, tokens): the role alone */
        NONE,
        /** {@code ?namespace=}, default {@code default}, checked by the filter */
        QUERY,
        /** {@code ?namespace=} checked by the filter, and the handler checks the namespace the body's spec names */
        QUERY_AND_BODY,
        /** the handler checks the namespace the body's spec names */
        BODY,
        /** {@code ?namespace=} when given (checked by the filter), else the handler shows only covered namespaces */
        QUERY_OR_FILTER,
        /** the answer spans namespaces: the handler shows only the namespaces the principal covers */
        FILTER,
        /**
         * {@code ?function=<ns>/<name>}, or {@code ?function=<name>} with {@code ?namespace=} (default
         * {@code default}), checked by the filter; without {@code ?function=} the handler filters
         */
        FUNCTION_QUERY_OR_FILTER,
        /** the handler checks the namespace of the record it finds ({@code GET /invocations/{id}}) */
        RECORD
    }

    public Requirement {
        if ((kind == Kind.ACTION) != action.isPresent()) {
            throw new IllegalArgumentException("an action is given exactly when the kind is ACTION: " + kind + " " + action);
        }
        if (kind != Kind.ACTION && namespace != Namespace.NONE) {
            throw new IllegalArgumentException("only a route that needs an action has a namespace: " + kind);
        }
        if (kind == Kind.OPEN && peer) {
            throw new IllegalArgumentException("an open route needs no peer credential");
        }
    }

    /** No token needed. */
    public static Requirement anyone() {
        return new Requirement(Kind.OPEN, Optional.empty(), Namespace.NONE, false);
    }

    /** Any valid token. */
    public static Requirement anyToken() {
        return new Requirement(Kind.TOKEN, Optional.empty(), Namespace.NONE, false);
    }

    /** A token permitting {@code action}, the namespace found as {@code namespace} says. */
    public static Requirement of(Action action, Namespace namespace) {
        return new Requirement(Kind.ACTION, Optional.of(action), namespace, false);
    }

    /** The same, also accepting another node's {@link PeerCredential}. */
    public Requirement orPeer() {
        return new Requirement(kind, action, namespace, true);
    }

    /** Whether the route needs no token. */
    public boolean open() {
        return kind == Kind.OPEN;
    }
}
