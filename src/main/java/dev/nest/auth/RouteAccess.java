package dev.nest.auth;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What each route of the node's HTTP server requires: the one table of who may call what. A pure function of the
 * method, the path and the query; {@link AuthFilter} applies it to every request before routing.
 *
 * <p>Namespaces: a function route's namespace is its {@code ?namespace=} (default {@code default}), checked here.
 * Some routes see their namespace only once they run, and say so in {@link Access#duty()}:
 * <ul>
 *   <li>{@link Duty#FILTER}: the answer spans namespaces ({@code GET /functions} without {@code ?namespace=},
 *       {@code GET /instances}, {@code GET /invocations} without a function): show only what
 *       {@link Principal#covers} allows;</li>
 *   <li>{@link Duty#CHECK}: the namespace is in the request body (a deploy's spec) or in the record looked up
 *       ({@code GET /invocations/{id}}): call {@link Authorizer#check} with it before acting or answering.</li>
 * </ul>
 * Routes that belong to no namespace (code packages, which are content-addressed; runtimes; the cluster; pools;
 * tokens) are checked on the role alone.
 *
 * <p>Fails closed: a route missing from the table needs {@link Action#ADMIN}.
 */
public final class RouteAccess {
    private static final String P = "/api/v1";
    private static final String DEFAULT_NAMESPACE = "default";

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
     * @param action    the action; empty for a route open to anyone ({@code /health})
     * @param namespace the namespace the filter checks; empty when the route belongs to no namespace, or when the
     *                  handler must check or filter it ({@link #duty})
     * @param duty      what the handler must still do
     */
    public record Access(Optional<Action> action, Optional<String> namespace, Duty duty) {
        static final Access OPEN = new Access(Optional.empty(), Optional.empty(), Duty.NONE);

        /** Whether the route needs no token. */
        public boolean open() {
            return action.isEmpty();
        }
    }

    private enum Target {
        /** no token needed */
        OPEN,
        /** belongs to no namespace: the role alone */
        CLUSTER,
        /** the ?namespace= of a function route */
        QUERY,
        /** the ?namespace=, and the handler checks the namespace of the body's spec too */
        QUERY_AND_BODY,
        /** the handler checks the namespace of the body */
        BODY,
        /** ?namespace= when given, else the handler filters */
        LISTED,
        /** the handler filters */
        FILTERED,
        /** ?function=<ns>/<name> or ?function=<name>&namespace=, else the handler filters */
        INVOCATIONS,
        /** the handler checks the namespace of the record it finds */
        FOUND
    }

    private record Rule(Set<String> methods, List<String> pattern, Action action, Target target) {
        boolean matches(String method, List<String> path) {
            if (!methods.contains(method) || pattern.size() != path.size()) {
                return false;
            }
            for (int i = 0; i < pattern.size(); i++) {
                if (!pattern.get(i).startsWith("{") && !pattern.get(i).equals(path.get(i))) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final List<Rule> RULES = List.of(
            rule("GET", "/health", null, Target.OPEN),
            rule("GET", "/metrics", Action.READ, Target.CLUSTER),
            rule("GET", P + "/functions", Action.READ, Target.LISTED),
            rule("POST", P + "/functions", Action.DEPLOY, Target.BODY),
            rule("GET", P + "/functions/{name}", Action.READ, Target.QUERY),
            rule("PUT", P + "/functions/{name}", Action.DEPLOY, Target.QUERY_AND_BODY),
            rule("DELETE", P + "/functions/{name}", Action.DEPLOY, Target.QUERY),
            rule("GET", P + "/functions/{name}/versions", Action.READ, Target.QUERY),
            rule("POST", P + "/functions/{name}/versions", Action.DEPLOY, Target.QUERY_AND_BODY),
            rule("POST", P + "/functions/{name}/rollback", Action.DEPLOY, Target.QUERY),
            rule("GET", P + "/functions/{name}/instances", Action.READ, Target.QUERY),
            rule("GET", P + "/functions/{name}/logs", Action.LOGS, Target.QUERY),
            rule("GET", P + "/functions/{name}/scaling", Action.READ, Target.QUERY),
            // code packages are content-addressed and shared by namespaces; they hold code, so reading one is a
            // deployer's (or a peer node's) business
            rule("POST", P + "/artifacts", Action.DEPLOY, Target.CLUSTER),
            rule("PUT", P + "/artifacts/chunks/{sha256}", Action.DEPLOY, Target.CLUSTER),
            rule("GET HEAD", P + "/artifacts/chunks/{sha256}", Action.DEPLOY, Target.CLUSTER),
            rule("POST", P + "/artifacts/manifests", Action.DEPLOY, Target.CLUSTER),
            rule("GET", P + "/artifacts/manifests/{digest}", Action.DEPLOY, Target.CLUSTER),
            rule("GET", P + "/invocations", Action.LOGS, Target.INVOCATIONS),
            rule("GET", P + "/invocations/{id}", Action.LOGS, Target.FOUND),
            rule("GET", P + "/instances", Action.READ, Target.FILTERED),
            rule("GET", P + "/runtimes", Action.READ, Target.CLUSTER),
            rule("GET", P + "/cluster", Action.READ, Target.CLUSTER),
            rule("GET", P + "/nodes", Action.READ, Target.CLUSTER),
            rule("GET", P + "/pools", Action.READ, Target.CLUSTER),
            rule("PUT", P + "/pools/{runtime}", Action.ADMIN, Target.CLUSTER),
            rule("GET", P + "/cluster/load", Action.READ, Target.CLUSTER),
            rule("POST", P + "/cluster/load", Action.ADMIN, Target.CLUSTER), // a peer node's load report
            rule("GET", P + "/tokens", Action.ADMIN, Target.CLUSTER),
            rule("POST", P + "/tokens", Action.ADMIN, Target.CLUSTER),
            rule("DELETE", P + "/tokens/{name}", Action.ADMIN, Target.CLUSTER));

    private static final Access UNLISTED = new Access(Optional.of(Action.ADMIN), Optional.empty(), Duty.NONE);

    private RouteAccess() {
    }

    private static Rule rule(String methods, String pattern, Action action, Target target) {
        return new Rule(Set.of(methods.split(" ")), segments(pattern), action, target);
    }

    private static List<String> segments(String path) {
        return java.util.Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * What a request needs.
     *
     * @param method the HTTP method, upper case
     * @param path   the decoded path, without the query
     * @param query  the first value of a query parameter, by name
     */
    public static Access of(String method, String path, Function<String, Optional<String>> query) {
        List<String> segs = segments(path);
        for (Rule r : RULES) {
            if (r.matches(method, segs)) {
                return access(r, query);
            }
        }
        return UNLISTED;
    }

    private static Access access(Rule r, Function<String, Optional<String>> query) {
        Optional<Action> action = Optional.ofNullable(r.action());
        Optional<String> ns = query.apply("namespace");
        return switch (r.target()) {
            case OPEN -> Access.OPEN;
            case CLUSTER -> new Access(action, Optional.empty(), Duty.NONE);
            case QUERY -> new Access(action, Optional.of(ns.orElse(DEFAULT_NAMESPACE)), Duty.NONE);
            case QUERY_AND_BODY -> new Access(action, Optional.of(ns.orElse(DEFAULT_NAMESPACE)), Duty.CHECK);
            case BODY, FOUND -> new Access(action, Optional.empty(), Duty.CHECK);
            case LISTED -> ns.isPresent() ? new Access(action, ns, Duty.NONE)
                    : new Access(action, Optional.empty(), Duty.FILTER);
            case FILTERED -> new Access(action, Optional.empty(), Duty.FILTER);
            case INVOCATIONS -> {
                Optional<String> fn = query.apply("function");
                if (fn.isEmpty()) {
                    yield new Access(action, Optional.empty(), Duty.FILTER);
                }
                int slash = fn.get().indexOf('/');
                String namespace = slash >= 0 ? fn.get().substring(0, slash) : ns.orElse(DEFAULT_NAMESPACE);
                yield new Access(action, Optional.of(namespace), Duty.NONE);
            }
        };
    }
}
