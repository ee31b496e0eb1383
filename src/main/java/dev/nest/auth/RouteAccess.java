package dev.nest.auth;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The lookup of what a request needs, over the routes' own table (the admin API's {@code AdminRoutes.table()}, in
 * registration order): the first rule whose method and path pattern match gives the {@link Requirement}, which this
 * resolves against the request's query into an {@link Access}. A pure function of the method, the path and the
 * query; the admin API's filter applies it to every request before routing.
 *
 * <p>Patterns are matched segment by segment as the router does: {@code {name}} matches one segment, a final
 * {@code *} any rest. A {@code HEAD} request needs what the {@code GET} of the same path needs (a router may answer it
 * with the {@code GET} handler). Fails closed: a request no rule matches needs {@link Action#ADMIN}.
 *
 * <p>Namespaces (see {@link Requirement.Namespace}): the ones in the query are resolved here and checked by the
 * filter; the others are a {@link Duty} of the handler. Thread-safe (immutable).
 */
public final class RouteAccess {
    private static final String DEFAULT_NAMESPACE = "default";

    /** One route as the table lists it. */
    public interface Rule {
        /** The HTTP method, upper case, or {@code ANY}. */
        String method();

        /** The path pattern as registered with the router. */
        String path();

        Requirement requirement();
    }

    /** What a route handler must still do with the principal. */
    public enum Duty {
        /** nothing: the filter checked everything */
        NONE,
        /** show only the namespaces the principal covers */
        FILTER,
        /** check the namespace found in the body or in the record before acting or answering */
        CHECK
    }

    /**
     * What a request needs.
     *
     * @param kind      open, any token, or an action
     * @param action    the action, for {@link Requirement.Kind#ACTION}
     * @param namespace the namespace the filter checks; empty when the route belongs to no namespace, or when the
     *                  handler must check or filter it ({@link #duty})
     * @param duty      what the handler must still do
     * @param peer      whether another node's {@link PeerCredential} is accepted instead of a token
     */
    public record Access(Requirement.Kind kind, Optional<Action> action, Optional<String> namespace, Duty duty,
                         boolean peer) {
        /** Whether the route needs no token. */
        public boolean open() {
            return kind == Requirement.Kind.OPEN;
        }
    }

    /** What a request that matches no rule needs. */
    public static final Access UNLISTED = new Access(Requirement.Kind.ACTION, Optional.of(Action.ADMIN),
            Optional.empty(), Duty.NONE, false);

    private record Compiled(String method, List<String> pattern, Requirement requirement) {
        boolean matches(String m, List<String> path) {
            if (!method.equals("ANY") && !method.equals(m) && !(m.equals("HEAD") && method.equals("GET"))) {
                return false;
            }
            boolean rest = !pattern.isEmpty() && pattern.getLast().equals("*");
            int fixed = rest ? pattern.size() - 1 : pattern.size();
            if (rest ? path.size() < fixed : path.size() != fixed) {
                return false;
            }
            for (int i = 0; i < fixed; i++) {
                if (!pattern.get(i).startsWith("{") && !pattern.get(i).equals(path.get(i))) {
                    return false;
                }
            }
            return true;
        }
    }

    private final List<Compiled> rules;

    /** @param rules the routes, in the order the router matches them */
    public RouteAccess(List<? extends Rule> rules) {
        this.rules = rules.stream().map(r -> new Compiled(r.method(), segments(r.path()), r.requirement())).toList();
    }

    private static List<String> segments(String path) {
        return Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * What a request needs.
     *
     * @param method the HTTP method, upper case
     * @param path   the decoded path, without the query
     * @param query  the first value of a query parameter, by name
     */
    public Access of(String method, String path, Function<String, Optional<String>> query) {
        List<String> segs = segments(path);
        for (Compiled r : rules) {
            if (r.matches(method, segs)) {
                return access(r.requirement(), query);
            }
        }
        return UNLISTED;
    }

    /** Resolves {@code need} against the request's query. */
    static Access access(Requirement need, Function<String, Optional<String>> query) {
        if (need.kind() != Requirement.Kind.ACTION) {
            return new Access(need.kind(), Optional.empty(), Optional.empty(), Duty.NONE, need.peer());
        }
        Optional<String> ns = query.apply("namespace");
        Optional<String> checked = Optional.empty();
        Duty duty = Duty.NONE;
        switch (need.namespace()) {
            case NONE -> { }
            case QUERY -> checked = Optional.of(ns.orElse(DEFAULT_NAMESPACE));
            case QUERY_AND_BODY -> {
                checked = Optional.of(ns.orElse(DEFAULT_NAMESPACE));
                duty = Duty.CHECK;
            }
            case BODY, RECORD -> duty = Duty.CHECK;
            case QUERY_OR_FILTER -> {
                checked = ns;
                duty = ns.isPresent() ? Duty.NONE : Duty.FILTER;
            }
            case FILTER -> duty = Duty.FILTER;
            case FUNCTION_QUERY_OR_FILTER -> {
                Optional<String> fn = query.apply("function");
                if (fn.isEmpty()) {
                    duty = Duty.FILTER;
                } else {
                    int slash = fn.get().indexOf('/');
                    checked = Optional.of(slash >= 0 ? fn.get().substring(0, slash) : ns.orElse(DEFAULT_NAMESPACE));
                }
            }
        }
        return new Access(need.kind(), need.action(), checked, duty, need.peer());
    }
}
