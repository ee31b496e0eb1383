package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.runtime.RuntimeRegistry;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;

/**
 * {@code /api/v1/pools[/{runtime}]}: this node's warm pools, and a pool's size until the node restarts (400 for
 * a size out of range, 404 for an unknown runtime).
 */
record PoolRoutes(LocalNode node, RuntimeRegistry runtimes) implements ResourceRoutes {
    @Override
    public String resource() {
        return "pools";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/pools", (req, res) -> Errors.json(res, 200, node.pools()));
        r.put(PREFIX + "/pools/{runtime}", this::resize);
    }

    /** {@code PUT /pools/{runtime}} {@code {"size": n}}: answers the pool's state. */
    private void resize(ServerRequest req, ServerResponse res) {
        String runtime = Requests.param(req, "runtime");
        JsonNode body;
        try (InputStream in = req.content().inputStream()) {
            body = Json.tree(in.readAllBytes(), "pool size");
        } catch (IOException | RuntimeException e) {
            throw NestException.badRequest("the body must be JSON like {\"size\": 2}: " + e.getMessage());
        }
        JsonNode size = body.path("size");
        if (!size.canConvertToInt() || !size.isIntegralNumber()) {
            throw NestException.badRequest("field 'size' must be a whole number of pods, like {\"size\": 2}; got "
                    + (size.isMissingNode() ? "nothing" : size.toString()));
        }
        try {
            node.resizePool(runtime, size.asInt());
        } catch (IllegalArgumentException e) {
            if (runtimes.find(runtime).isEmpty()) {
                throw NestException.notFound("runtime", e.getMessage());
            }
            throw NestException.badRequest(e.getMessage());
        }
        node.pools().stream().filter(p -> p.runtime().equals(runtime)).findFirst()
                .ifPresent(p -> Errors.json(res, 200, p));
    }
}
