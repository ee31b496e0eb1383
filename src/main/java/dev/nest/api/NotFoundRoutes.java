package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;

/**
 * The catch-alls, registered last: a 404 that points to docs/API.md for an unknown {@code /api/v1} endpoint, and
 * one that says where functions and the API are for any other path.
 */
final class NotFoundRoutes implements ResourceRoutes {
    @Override
    public String resource() {
        return "not-found";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.any(PREFIX + "/*", (req, res) -> Errors.send(res, 404, "no such endpoint", request(req)
                + " is not part of the API; see docs/API.md"));
        r.any("/*", (req, res) -> Errors.send(res, 404, "not found", request(req)
                + " is not served here: functions are at /fn/{name} (or /ns/{namespace}/fn/{name}),"
                + " the admin API under /api/v1 (see docs/API.md)"));
    }

    private static String request(ServerRequest req) {
        return req.prologue().method().text() + " " + req.path().rawPath();
    }
}
