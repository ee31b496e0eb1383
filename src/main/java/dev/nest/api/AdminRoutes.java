package dev.nest.api;

import static dev.nest.api.Route.read;
import static dev.nest.api.Route.write;

import java.util.List;

/**
 * Every route the admin router ({@link AdminApi#routing}) registers, in registration order (Helidon matches in
 * that order, so the catch-alls come last). A unit test checks this table against what the route classes
 * register, so a route cannot be added, removed or moved to another resource without changing it; authorization
 * and the OpenAPI description read it.
 *
 * <p>Not listed: {@code /api/v1/cluster/load}, which the load module registers on the same routing.
 */
public final class AdminRoutes {
    /** The prefix of the versioned API. */
    public static final String PREFIX = "/api/v1";

    private static final String P = PREFIX;
    private static final List<Route> TABLE = List.of(
            read("GET", "/health", "health"),
            read("GET", "/metrics", "health"),
            read("GET", P + "/functions", "functions"),
            write("POST", P + "/functions", "functions"),
            read("GET", P + "/functions/{name}", "functions"),
            write("PUT", P + "/functions/{name}", "functions"),
            write("DELETE", P + "/functions/{name}", "functions"),
            read("GET", P + "/functions/{name}/versions", "versions"),
            write("POST", P + "/functions/{name}/versions", "versions"),
            write("POST", P + "/functions/{name}/rollback", "versions"),
            read("GET", P + "/functions/{name}/scaling", "scaling"),
            write("POST", P + "/artifacts", "artifacts"),
            write("PUT", P + "/artifacts/chunks/{sha256}", "artifacts"),
            read("GET", P + "/artifacts/chunks/{sha256}", "artifacts"),
            read("HEAD", P + "/artifacts/chunks/{sha256}", "artifacts"),
            write("POST", P + "/artifacts/manifests", "artifacts"),
            read("GET", P + "/artifacts/manifests/{digest}", "artifacts"),
            read("GET", P + "/invocations", "invocations"),
            read("GET", P + "/invocations/{id}", "invocations"),
            read("GET", P + "/functions/{name}/logs", "invocations"),
            read("GET", P + "/functions/{name}/dead-letters", "async"),
            write("POST", P + "/functions/{name}/dead-letters/redrive", "async"),
            read("GET", P + "/instances", "instances"),
            read("GET", P + "/functions/{name}/instances", "instances"),
            read("GET", P + "/runtimes", "runtimes"),
            read("GET", P + "/pools", "pools"),
            write("PUT", P + "/pools/{runtime}", "pools"),
            read("GET", P + "/cluster", "cluster"),
            read("GET", P + "/nodes", "cluster"),
            read("ANY", P + "/*", "not-found"),
            read("ANY", "/*", "not-found"));

    private AdminRoutes() {
    }

    /** The routes, in registration order. */
    public static List<Route> table() {
        return TABLE;
    }
}
