package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import io.helidon.webserver.http.HttpRouting;

/**
 * {@code /api/v1/instances} and {@code /api/v1/functions/{name}/instances}: the instances on this node; the first
 * shows only the namespaces the caller's token covers.
 */
record InstanceRoutes(LocalNode node) implements ResourceRoutes {
    @Override
    public String resource() {
        return "instances";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/instances", (req, res) -> Errors.json(res, 200, node.instances().stream()
                .filter(i -> AuthFilter.covers(req, Requests.namespaceOf(i.function()))).toList()));
        r.get(PREFIX + "/functions/{name}/instances",
                (req, res) -> Errors.json(res, 200, node.instances(Requests.function(req))));
    }
}
