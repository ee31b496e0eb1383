package dev.nest.api;

import static dev.nest.api.Route.read;
import static dev.nest.api.Route.write;
import static dev.nest.auth.Action.ADMIN;
import static dev.nest.auth.Action.DEPLOY;
import static dev.nest.auth.Action.LOGS;
import static dev.nest.auth.Action.READ;
import static dev.nest.auth.Requirement.Namespace.BODY;
import static dev.nest.auth.Requirement.Namespace.FILTER;
import static dev.nest.auth.Requirement.Namespace.FUNCTION_QUERY_OR_FILTER;
import static dev.nest.auth.Requirement.Namespace.NONE;
import static dev.nest.auth.Requirement.Namespace.QUERY;
import static dev.nest.auth.Requirement.Namespace.QUERY_AND_BODY;
import static dev.nest.auth.Requirement.Namespace.QUERY_OR_FILTER;
import static dev.nest.auth.Requirement.Namespace.RECORD;

import dev.nest.auth.Action;
import dev.nest.auth.Requirement;
import dev.nest.auth.RouteAccess;
import java.util.List;

/**
 * Every route the admin router ({@link AdminApi#routing}) registers, in registration order (Helidon matches in
 * that order, so the catch-alls come last), with what a caller needs: the one table of who may call what. A unit
 * test checks this table against what the route classes register, so a route cannot be added, removed or moved
 * to another resource without changing it; another proves that every route but the open ones refuses a call
 * without a valid token. The {@link AuthFilter} reads it through {@link #access()}.
 *
 * <p>Open: {@code GET /health}, {@code GET /health/ready} and the web console's static files ({@code GET /},
 * {@code /console}, {@code /console/*}: they hold no data; the console asks for a token and sends it on each API
 * call). The OpenAPI document ({@code GET /api/v1/openapi.json}) needs a viewer token, like every other read. The catch-alls need a valid token (any role),
 * so that nothing about the API is answered without one. Code packages are content-addressed and shared by
 * namespaces; they hold code, so reading one is a deployer's business (or a peer node's, with the cluster's
 * {@link dev.nest.auth.PeerCredential}, as for the load reports).
 */
public final class AdminRoutes {
    /** The prefix of the versioned API. */
    public static final String PREFIX = "/api/v1";

    private static final String P = PREFIX;
    private static final List<Route> TABLE = List.of(
            read("GET", "/health", "health", Requirement.anyone()),
            read("GET", "/health/ready", "health", Requirement.anyone()),
            read("GET", "/metrics", "health", need(READ, NONE)),
            read("GET", P + "/functions", "functions", need(READ, QUERY_OR_FILTER)),
            write("POST", P + "/functions", "functions", need(DEPLOY, BODY)),
            read("GET", P + "/functions/{name}", "functions", need(READ, QUERY)),
            write("PUT", P + "/functions/{name}", "functions", need(DEPLOY, QUERY_AND_BODY)),
            write("DELETE", P + "/functions/{name}", "functions", need(DEPLOY, QUERY)),
            read("GET", P + "/functions/{name}/versions", "versions", need(READ, QUERY)),
            write("POST", P + "/functions/{name}/versions", "versions", need(DEPLOY, QUERY_AND_BODY)),
            write("POST", P + "/functions/{name}/rollback", "versions", need(DEPLOY, QUERY)),
            read("GET", P + "/functions/{name}/versions/{version}/code", "code", need(DEPLOY, QUERY)),
            read("GET", P + "/functions/{name}/scaling", "scaling", need(READ, QUERY)),
            read("GET", P + "/functions/{name}/degrade", "degrade", need(READ, QUERY)),
            read("GET", P + "/functions/{name}/aliases", "aliases", need(READ, QUERY)),
            read("GET", P + "/functions/{name}/aliases/{alias}", "aliases", need(READ, QUERY)),
            write("PUT", P + "/functions/{name}/aliases/{alias}", "aliases", need(DEPLOY, QUERY)),
            write("DELETE", P + "/functions/{name}/aliases/{alias}", "aliases", need(DEPLOY, QUERY)),
            write("POST", P + "/functions/{name}/releases", "releases", need(DEPLOY, QUERY)),
            read("GET", P + "/functions/{name}/releases/current", "releases", need(READ, QUERY)),
            write("POST", P + "/functions/{name}/releases/current/pause", "releases", need(DEPLOY, QUERY)),
            write("POST", P + "/functions/{name}/releases/current/resume", "releases", need(DEPLOY, QUERY)),
            write("POST", P + "/functions/{name}/releases/current/abort", "releases", need(DEPLOY, QUERY)),
            read("GET", P + "/functions/{name}/triggers", "triggers", need(READ, QUERY)),
            write("POST", P + "/artifacts", "artifacts", need(DEPLOY, NONE)),
            write("PUT", P + "/artifacts/chunks/{sha256}", "artifacts", need(DEPLOY, NONE).orPeer()),
            read("GET", P + "/artifacts/chunks/{sha256}", "artifacts", need(DEPLOY, NONE).orPeer()),
            read("HEAD", P + "/artifacts/chunks/{sha256}", "artifacts", need(DEPLOY, NONE).orPeer()),
            write("POST", P + "/artifacts/manifests", "artifacts", need(DEPLOY, NONE).orPeer()),
            read("GET", P + "/artifacts/manifests/{digest}", "artifacts", need(DEPLOY, NONE).orPeer()),
            read("GET", P + "/invocations", "invocations", need(LOGS, FUNCTION_QUERY_OR_FILTER).orPeer()),
            read("GET", P + "/invocations/{id}", "invocations", need(LOGS, RECORD).orPeer()),
            read("GET", P + "/functions/{name}/logs", "invocations", need(LOGS, QUERY)),
            read("GET", P + "/logs", "invocations", need(LOGS, FUNCTION_QUERY_OR_FILTER).orPeer()),
            read("GET", P + "/functions/{name}/dead-letters", "async", need(LOGS, QUERY)),
            write("POST", P + "/functions/{name}/dead-letters/redrive", "async", need(DEPLOY, QUERY)),
            read("GET", P + "/instances", "instances", need(READ, FILTER)),
            read("GET", P + "/functions/{name}/instances", "instances", need(READ, QUERY)),
            read("GET", P + "/runtimes", "runtimes", need(READ, NONE)),
            read("GET", P + "/pools", "pools", need(READ, NONE)),
            write("PUT", P + "/pools/{runtime}", "pools", need(ADMIN, NONE)),
            read("GET", P + "/cluster/load", "load", need(READ, NONE).orPeer()),
            write("POST", P + "/cluster/load", "load", need(ADMIN, NONE).orPeer()),
            read("GET", P + "/cluster", "cluster", need(READ, NONE)),
            read("GET", P + "/nodes", "cluster", need(READ, NONE)),
            read("GET", P + "/tokens", "tokens", need(ADMIN, NONE)),
            write("POST", P + "/tokens", "tokens", need(ADMIN, NONE)),
            write("DELETE", P + "/tokens/{name}", "tokens", need(ADMIN, NONE)),
            read("GET", P + "/namespaces", "namespaces", need(READ, FILTER)),
            read("GET", P + "/namespaces/{name}", "namespaces", need(READ, RECORD)),
            write("PUT", P + "/namespaces/{name}", "namespaces", need(ADMIN, RECORD)),
            write("DELETE", P + "/namespaces/{name}", "namespaces", need(ADMIN, RECORD)),
            read("GET", P + "/openapi.json", "openapi", need(READ, NONE)),
            read("GET", "/", "console", Requirement.anyone()),
            read("GET", "/console", "console", Requirement.anyone()),
            read("GET", "/console/*", "console", Requirement.anyone()),
            read("GET", P + "/functions/{name}/report", "reports", need(READ, QUERY)),
            read("GET", P + "/namespaces/{name}/report", "reports", need(READ, RECORD)),
            read("GET", P + "/report/buckets", "reports", need(ADMIN, NONE).orPeer()),
            read("GET", P + "/alerts", "alerts", need(READ, FILTER)),
            read("GET", P + "/alerts/{name}", "alerts", need(READ, RECORD)),
            write("PUT", P + "/alerts/{name}", "alerts", need(DEPLOY, BODY)),
            write("DELETE", P + "/alerts/{name}", "alerts", need(DEPLOY, RECORD)),
            write("POST", P + "/invocations/{id}/stop", "stops", need(ADMIN, NONE).orPeer()),
            read("ANY", P + "/*", "not-found", Requirement.anyToken()),
            read("ANY", "/*", "not-found", Requirement.anyToken()));
    private static final RouteAccess ACCESS = new RouteAccess(TABLE);

    private AdminRoutes() {
    }

    private static Requirement need(Action action, Requirement.Namespace namespace) {
        return Requirement.of(action, namespace);
    }

    /** The routes, in registration order. */
    public static List<Route> table() {
        return TABLE;
    }

    /** What each request needs, looked up in {@link #table()}. */
    public static RouteAccess access() {
        return ACCESS;
    }
}
