package dev.nest.api;

import dev.nest.auth.Requirement;
import dev.nest.auth.RouteAccess;

/**
 * One route of the admin API: the HTTP method, the path pattern as registered with Helidon, the resource it
 * belongs to, whether it only reads or also changes state, and what a caller needs ({@link Requirement}: the
 * action and where the namespace comes from). {@link AdminRoutes#table()} lists them all, and the
 * {@link AuthFilter} decides from it.
 *
 * @param method      the HTTP method, upper case, or {@code ANY} for a route that takes every method
 * @param path        the path pattern, e.g. {@code /api/v1/functions/{name}}
 * @param resource    the resource (one route class per resource), e.g. {@code functions}
 * @param access      whether the route reads or writes
 * @param requirement what a caller needs
 */
public record Route(String method, String path, String resource, Access access, Requirement requirement)
        implements RouteAccess.Rule {
    /** Whether a route only reads state or also changes it. */
    public enum Access {
        READ, WRITE
    }

    static Route read(String method, String path, String resource, Requirement requirement) {
        return new Route(method, path, resource, Access.READ, requirement);
    }

    static Route write(String method, String path, String resource, Requirement requirement) {
        return new Route(method, path, resource, Access.WRITE, requirement);
    }
}
