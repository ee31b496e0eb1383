package dev.nest.api;

/**
 * One route of the admin API: the HTTP method, the path pattern as registered with Helidon, the resource it
 * belongs to and whether it only reads or also changes state. {@link AdminRoutes#table()} lists them all.
 *
 * @param method   the HTTP method, upper case, or {@code ANY} for a route that takes every method
 * @param path     the path pattern, e.g. {@code /api/v1/functions/{name}}
 * @param resource the resource (one route class per resource), e.g. {@code functions}
 * @param access   whether the route reads or writes
 */
public record Route(String method, String path, String resource, Access access) {
    /** Whether a route only reads state or also changes it (an authorization decision keys on this). */
    public enum Access {
        READ, WRITE
    }

    static Route read(String method, String path, String resource) {
        return new Route(method, path, resource, Access.READ);
    }

    static Route write(String method, String path, String resource) {
        return new Route(method, path, resource, Access.WRITE);
    }
}
