package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.auth.Requirement;
import dev.nest.common.Json;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAPI document lists every route the admin router registers, with what the route table says it needs. */
class OpenApiTest {
    @TempDir
    Path dir;

    private static final ObjectNode DOC = OpenApi.document(AdminRoutes.table());

    @Test
    void everyRouteOfTheRouterIsAnOperationOfTheDocument() {
        try (AdminApiFixture fixture = new AdminApiFixture(dir)) {
            RecordingRouting routing = new RecordingRouting();
            fixture.api.routing(routing.builder());
            List<String> missing = new ArrayList<>();
            for (String row : routing.routes()) {
                String method = row.substring(0, row.indexOf(' '));
                String path = row.substring(row.indexOf(' ') + 1);
                if (method.equals("ANY")) {
                    continue;
                }
                if (!DOC.path("paths").path(path).has(method.toLowerCase(Locale.ROOT))) {
                    missing.add(row);
                }
            }
            assertEquals(List.of(), missing, "routes the router registers but /api/v1/openapi.json lacks");
        }
    }

    @Test
    void theDocumentHasNoOperationTheTableLacks() {
        Set<String> table = new HashSet<>();
        AdminRoutes.table().forEach(r -> table.add(r.method().toLowerCase(Locale.ROOT) + " " + r.path()));
        for (Iterator<Map.Entry<String, JsonNode>> paths = DOC.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> p = paths.next();
            p.getValue().fieldNames().forEachRemaining(m -> assertTrue(table.contains(m + " " + p.getKey()), m + " " + p.getKey()));
        }
    }

    @Test
    void eachOperationSaysWhatItNeedsAsTheTableDoes() {
        Set<String> ids = new HashSet<>();
        for (Route r : AdminRoutes.table()) {
            if (r.method().equals("ANY")) {
                continue;
            }
            JsonNode op = DOC.path("paths").path(r.path()).path(r.method().toLowerCase(Locale.ROOT));
            String row = r.method() + " " + r.path();
            assertTrue(ids.add(op.path("operationId").asText()), "operationId twice: " + row);
            assertEquals(r.requirement().open(), op.path("security").isEmpty(), row);
            if (r.requirement().kind() == Requirement.Kind.ACTION) {
                assertEquals(r.requirement().action().orElseThrow().name().toLowerCase(Locale.ROOT),
                        op.path("x-nest-action").asText(), row);
                assertFalse(op.path("x-nest-roles").isEmpty(), row);
            }
            assertEquals(r.requirement().peer(), op.path("x-nest-peer").asBoolean(false), row);
            Matcher m = Pattern.compile("\\{([a-zA-Z0-9]+)}").matcher(r.path());
            Set<String> pathParams = new HashSet<>();
            while (m.find()) {
                pathParams.add(m.group(1));
            }
            Set<String> declared = new HashSet<>();
            op.path("parameters").forEach(p -> {
                if (p.path("in").asText().equals("path")) {
                    declared.add(p.path("name").asText());
                }
            });
            assertEquals(pathParams, declared, row);
            assertTrue(op.path("responses").has("default"), row);
        }
    }

    @Test
    void everySchemaReferenceResolves() {
        List<String> refs = new ArrayList<>();
        collect(DOC, refs);
        assertFalse(refs.isEmpty());
        for (String ref : refs) {
            assertTrue(ref.startsWith("#/components/schemas/"), ref);
            assertTrue(DOC.path("components").path("schemas").has(ref.substring("#/components/schemas/".length())), ref);
        }
        assertEquals("3.1.0", DOC.path("openapi").asText());
    }

    private static void collect(JsonNode n, List<String> refs) {
        if (n.isObject() && n.has("$ref")) {
            refs.add(n.get("$ref").asText());
        }
        n.forEach(child -> collect(child, refs));
    }

    @Test
    void theRouteServesTheDocumentToAViewerAndRefusesAnAnonymousCaller() throws Exception {
        try (AdminApiFixture fixture = new AdminApiFixture(dir).start()) {
            HttpResponse<String> ok = fixture.get("/api/v1/openapi.json");
            assertEquals(200, ok.statusCode(), ok::body);
            assertEquals("application/json", ok.headers().firstValue("Content-Type").orElse(""));
            assertEquals(DOC, Json.mapper().readTree(ok.body()));
            HttpResponse<String> anonymous = fixture.sendAsIs(HttpRequest.newBuilder(
                    fixture.uri("/api/v1/openapi.json")).GET().build());
            assertEquals(401, anonymous.statusCode());
        }
    }

    @Test
    void operationIdsReadAsTheirPaths() {
        assertEquals("get_functions_name_versions", OpenApi.operationId(new Route("GET", "/api/v1/functions/{name}/versions",
                "versions", Route.Access.READ, Requirement.anyToken())));
        assertEquals("get_root", OpenApi.operationId(new Route("GET", "/", "console", Route.Access.READ, Requirement.anyone())));
    }
}
