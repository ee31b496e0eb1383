package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import io.helidon.webserver.http.HttpRouting;

/**
 * {@code /api/v1/cluster} and {@code /api/v1/nodes[?package=sha256:...]}: the cluster as this node sees it, and
 * the registered nodes (those holding a package, with {@code ?package=}; 400 when it is not a digest).
 */
record ClusterRoutes(ClusterView cluster) implements ResourceRoutes {
    @Override
    public String resource() {
        return "cluster";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/cluster", (req, res) -> Errors.json(res, 200, cluster.describe()));
        r.get(PREFIX + "/nodes", (req, res) -> Errors.json(res, 200, cluster.nodes(
                req.query().first("package").asOptional().map(Requests::packageDigest))));
    }
}
