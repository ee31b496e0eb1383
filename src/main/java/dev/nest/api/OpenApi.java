package dev.nest.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.auth.Requirement;
import dev.nest.auth.Role;
import dev.nest.common.Json;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admin API as an OpenAPI 3.1 document, generated from {@link AdminRoutes#table()}: one operation per route
 * (but the catch-alls), with its path parameters, the {@code ?namespace=} query where the route reads one, the
 * security it needs ({@code bearer} token, or the cluster's peer header where a peer may call) and, as extensions,
 * what the authorization table says ({@code x-nest-action}, {@code x-nest-roles}, {@code x-nest-namespace},
 * {@code x-nest-peer}). Summaries and the schemas of the main bodies are kept by hand in {@link OpenApiSchemas};
 * a route without one still appears, with a generic summary and a free-form body. Built once per table; immutable
 * afterwards (callers get copies).
 */
final class OpenApi {
    private static final Pattern PARAM = Pattern.compile("\\{([a-zA-Z0-9]+)}");

    private OpenApi() {
    }

    /** The document for {@code routes}. */
    static ObjectNode document(List<Route> routes) {
        ObjectNode doc = Json.mapper().createObjectNode();
        doc.put("openapi", "3.1.0");
        ObjectNode info = doc.putObject("info");
        info.put("title", "Nest admin API");
        info.put("version", "v1");
        info.put("description", "The admin API of a Nest node (every node serves the whole region's API). Every route"
                + " but the health probes and the web console's files needs a token (Authorization: Bearer nest_...);"
                + " x-nest-roles lists the roles that may call it. Errors are {\"error\", \"detail\"}. Functions are"
                + " invoked on the gateway at /fn/{name} or /ns/{namespace}/fn/{name}, which this document does not"
                + " describe; see docs/API.md.");
        doc.putArray("servers").addObject().put("url", "/");
        ObjectNode components = doc.putObject("components");
        ObjectNode schemes = components.putObject("securitySchemes");
        schemes.putObject("bearer").put("type", "http").put("scheme", "bearer")
                .put("description", "a Nest token, nest_...: see POST /api/v1/tokens and 'nest token create'");
        schemes.putObject("peer").put("type", "apiKey").put("in", "header").put("name", "X-Nest-Cluster-Auth")
                .put("description", "the credential the nodes of a cluster derive from the cluster secret");
        components.set("schemas", OpenApiSchemas.schemas());
        ObjectNode paths = doc.putObject("paths");
        for (Route r : routes) {
            if (r.method().equals("ANY")) {
                continue; // the catch-all 404s are not operations
            }
            ObjectNode item = paths.has(r.path()) ? (ObjectNode) paths.get(r.path()) : paths.putObject(r.path());
            item.set(r.method().toLowerCase(Locale.ROOT), operation(r));
        }
        return doc;
    }

    private static ObjectNode operation(Route r) {
        ObjectNode op = Json.mapper().createObjectNode();
        String key = r.method() + " " + r.path();
        op.put("operationId", operationId(r));
        op.putArray("tags").add(r.resource());
        op.put("summary", OpenApiSchemas.SUMMARIES.getOrDefault(key, r.method() + " " + r.resource()));
        Requirement need = r.requirement();
        ArrayNode security = op.putArray("security");
        switch (need.kind()) {
            case OPEN -> op.put("x-nest-access", "open");
            case TOKEN -> {
                security.addObject().putArray("bearer");
                op.put("x-nest-access", "any token");
            }
            case ACTION -> {
                security.addObject().putArray("bearer");
                op.put("x-nest-action", need.action().orElseThrow().name().toLowerCase(Locale.ROOT));
                ArrayNode roles = op.putArray("x-nest-roles");
                Role.permitting(need.action().orElseThrow()).forEach(role -> roles.add(role.key()));
                op.put("x-nest-namespace", need.namespace().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
        }
        if (need.peer()) {
            security.addObject().putArray("peer");
            op.put("x-nest-peer", true);
        }
        ArrayNode params = op.putArray("parameters");
        Matcher m = PARAM.matcher(r.path());
        while (m.find()) {
            params.addObject().put("name", m.group(1)).put("in", "path").put("required", true)
                    .putObject("schema").put("type", "string");
        }
        switch (need.namespace()) {
            case QUERY, QUERY_AND_BODY, QUERY_OR_FILTER, FUNCTION_QUERY_OR_FILTER -> params.addObject()
                    .put("name", "namespace").put("in", "query").put("required", false)
                    .put("description", "the function's namespace (default: default)")
                    .putObject("schema").put("type", "string");
            default -> { }
        }
        OpenApiSchemas.QUERIES.getOrDefault(key, List.of()).forEach(q -> params.addObject().put("name", q)
                .put("in", "query").put("required", false).putObject("schema").put("type", "string"));
        String body = OpenApiSchemas.BODIES.get(key);
        if (body != null) {
            op.putObject("requestBody").put("required", !body.equals("Rollback")).putObject("content")
                    .putObject(body.equals("Zip") ? "application/zip" : "application/json").putObject("schema")
                    .put("$ref", "#/components/schemas/" + body);
        } else if (r.access() == Route.Access.WRITE && !r.method().equals("DELETE")) {
            op.putObject("requestBody").put("required", false).putObject("content").putObject("application/json")
                    .putObject("schema").put("type", "object");
        }
        ObjectNode responses = op.putObject("responses");
        Map.Entry<String, String> ok = OpenApiSchemas.RESPONSES.getOrDefault(key,
                Map.entry(r.access() == Route.Access.WRITE && r.method().equals("POST") ? "201" : "200", ""));
        ObjectNode success = responses.putObject(ok.getKey()).put("description", "success");
        if (!ok.getValue().isEmpty()) {
            success.putObject("content").putObject("application/json").putObject("schema")
                    .put("$ref", "#/components/schemas/" + ok.getValue());
        }
        ObjectNode error = responses.putObject("default").put("description", "an error (400 bad input, 401 no or bad"
                + " token, 403 role or namespace not allowed, 404 not found, 409 conflict, 5xx server)");
        error.putObject("content").putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/Error");
        return op;
    }

    /** {@code get_functions_name_versions} for {@code GET /api/v1/functions/{name}/versions}. */
    static String operationId(Route r) {
        String path = r.path().startsWith(AdminRoutes.PREFIX) ? r.path().substring(AdminRoutes.PREFIX.length()) : r.path();
        String words = path.replace("*", "any").replaceAll("[{}]", "").replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_|_$", "");
        return r.method().toLowerCase(Locale.ROOT) + (words.isEmpty() ? "_root" : "_" + words);
    }
}
