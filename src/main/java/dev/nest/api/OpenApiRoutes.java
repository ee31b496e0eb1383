package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import dev.nest.common.Json;
import dev.nest.common.Lazy;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code GET /api/v1/openapi.json}: the admin API as an OpenAPI 3.1 document ({@link OpenApi}), generated once from
 * the route table, on its first request (not while the node starts: ADR 0030; the document is a pure function of the
 * route table, which {@code OpenApiTest} checks). Needs a viewer token like every other read (ADR 0023: the document tells nothing a viewer could
 * not learn from docs/API.md, but nothing about the API is answered without a token).
 */
record OpenApiRoutes(Supplier<byte[]> document) implements ResourceRoutes {
    OpenApiRoutes(List<Route> routes) {
        this(Lazy.of(() -> Json.bytes(OpenApi.document(routes))));
    }

    @Override
    public String resource() {
        return "openapi";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/openapi.json", (req, res) -> {
            res.headers().set(HeaderNames.CONTENT_TYPE, "application/json");
            res.headers().set(HeaderNames.CACHE_CONTROL, "no-cache");
            res.send(document.get());
        });
    }
}
