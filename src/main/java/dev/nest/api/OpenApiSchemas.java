package dev.nest.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import java.util.List;
import java.util.Map;

/**
 * What {@link OpenApi} cannot read from the route table, kept by hand: one-line summaries, extra query parameters,
 * and the schemas of the main request and response bodies (keyed by {@code "METHOD path"}). Schemas are open
 * ({@code additionalProperties} allowed) so that a field added to an answer does not make the document wrong; the
 * function spec's keys are described in config/functions/README.md, which the spec schema points to.
 */
final class OpenApiSchemas {
    private static final String P = AdminRoutes.PREFIX;

    private OpenApiSchemas() {
    }

    static final Map<String, String> SUMMARIES = Map.ofEntries(
            Map.entry("GET /health", "the node's health: ready or degraded, its driver, ZooKeeper and plugins"),
            Map.entry("GET /health/ready", "200 when the node is ready, 503 when not (no body)"),
            Map.entry("GET /metrics", "Prometheus text format"),
            Map.entry("GET " + P + "/functions", "list functions with their state"),
            Map.entry("POST " + P + "/functions", "create a function from a spec and an uploaded package's digest"),
            Map.entry("GET " + P + "/functions/{name}", "a function: live spec, history, aliases, release, instances"),
            Map.entry("PUT " + P + "/functions/{name}", "update a function (a new version with a new spec, and code)"),
            Map.entry("DELETE " + P + "/functions/{name}", "delete a function and all its versions"),
            Map.entry("GET " + P + "/functions/{name}/versions", "the function's versions and the live one"),
            Map.entry("POST " + P + "/functions/{name}/versions", "deploy a new version (live unless promote is false)"),
            Map.entry("POST " + P + "/functions/{name}/rollback", "make the previously live version (or 'to') live again"),
            Map.entry("GET " + P + "/functions/{name}/versions/{version}/code",
                    "a version's code: its files, or with ?path= one file (at most 1 MiB)"),
            Map.entry("GET " + P + "/functions/{name}/scaling", "scaling settings, the scaler's state and its decisions"),
            Map.entry("GET " + P + "/functions/{name}/releases/current", "the current or last release and its steps"),
            Map.entry("POST " + P + "/artifacts", "upload a code package (a zip); answers its digest"),
            Map.entry("GET " + P + "/invocations", "this node's invocation records, newest first"),
            Map.entry("GET " + P + "/invocations/{id}", "one invocation record with its phases"),
            Map.entry("POST " + P + "/invocations/{id}/stop", "stops an invocation this node holds (admins and peers): "
                    + "withdrawn while it waits, answered 409 while it runs; 404 when not held here"),
            Map.entry("GET " + P + "/functions/{name}/logs", "a function's log lines"),
            Map.entry("GET " + P + "/tokens", "list tokens (never their secrets)"),
            Map.entry("POST " + P + "/tokens", "create a token; the answer shows its secret once"),
            Map.entry("GET " + P + "/openapi.json", "this document"),
            Map.entry("GET /", "redirects to the web console"),
            Map.entry("GET /console", "redirects to the web console"),
            Map.entry("GET /console/*", "the web console's static files"));

    static final Map<String, List<String>> QUERIES = Map.of(
            "POST " + P + "/artifacts", List.of("runtime", "codec"),
            "POST " + P + "/artifacts/manifests", List.of("runtime"),
            "GET " + P + "/invocations", List.of("function", "limit"),
            "GET " + P + "/functions/{name}/logs", List.of("invocation", "limit"),
            "GET " + P + "/functions/{name}/versions/{version}/code", List.of("path"),
            "GET " + P + "/nodes", List.of("package"));

    /** Request bodies: the schema's name ({@code Zip} is {@code application/zip}). */
    static final Map<String, String> BODIES = Map.of(
            "POST " + P + "/functions", "DeployRequest",
            "PUT " + P + "/functions/{name}", "DeployRequest",
            "POST " + P + "/functions/{name}/versions", "DeployRequest",
            "POST " + P + "/functions/{name}/rollback", "Rollback",
            "POST " + P + "/artifacts", "Zip",
            "POST " + P + "/tokens", "NewToken");

    /** Success responses: the status and the schema's name (empty: no schema given). */
    static final Map<String, Map.Entry<String, String>> RESPONSES = Map.ofEntries(
            Map.entry("GET " + P + "/functions", Map.entry("200", "FunctionList")),
            Map.entry("POST " + P + "/functions", Map.entry("201", "Deployed")),
            Map.entry("GET " + P + "/functions/{name}", Map.entry("200", "Function")),
            Map.entry("PUT " + P + "/functions/{name}", Map.entry("200", "Deployed")),
            Map.entry("POST " + P + "/functions/{name}/versions", Map.entry("201", "Deployed")),
            Map.entry("GET " + P + "/functions/{name}/versions", Map.entry("200", "Versions")),
            Map.entry("POST " + P + "/functions/{name}/rollback", Map.entry("200", "FunctionSummary")),
            Map.entry("GET " + P + "/functions/{name}/versions/{version}/code", Map.entry("200", "CodeListingOrFile")),
            Map.entry("POST " + P + "/artifacts", Map.entry("201", "Uploaded")),
            Map.entry("POST " + P + "/artifacts/manifests", Map.entry("201", "Uploaded")),
            Map.entry("GET /health", Map.entry("200", "Health")),
            Map.entry("GET /health/ready", Map.entry("200", "")),
            Map.entry("GET /", Map.entry("302", "")),
            Map.entry("GET /console", Map.entry("302", "")),
            Map.entry("GET /console/*", Map.entry("200", "")),
            Map.entry("GET " + P + "/openapi.json", Map.entry("200", "")));

    /** The schemas, as {@code components.schemas}. */
    static ObjectNode schemas() {
        ObjectNode s = Json.mapper().createObjectNode();
        object(s, "Error", Map.of("error", str("what went wrong, short"), "detail", str("what to change"),
                "invocationId", str("the invocation, on the gateway's errors")), List.of("error", "detail"));
        ObjectNode spec = object(s, "FunctionSpec", Map.of(
                "name", str("1 to 63 lower-case letters, digits or '-'"), "namespace", str("default: default"),
                "runtime", str("nodejs or java"), "handler", str("index.handler (Node.js) or a class name (Java)"),
                "memory", integer("MiB per instance, 16 to 32768"), "timeout", str("e.g. 30s"),
                "concurrency", integer("in-flight requests per instance, 1 to 1000"),
                "env", Json.mapper().createObjectNode().put("type", "object"),
                "scaling", Json.mapper().createObjectNode().put("type", "object"),
                "auth", str("public or token")), List.of("runtime"));
        spec.put("description", "every key: config/functions/README.md");
        ObjectNode deploy = object(s, "DeployRequest", Map.of("spec", ref("FunctionSpec"),
                "digest", str("sha256:... as POST /api/v1/artifacts answered"),
                "promote", Json.mapper().createObjectNode().put("type", "boolean")
                        .put("description", "false leaves the live version where it is (default true)")), List.of("digest"));
        deploy.put("description", "a spec and a package digest; a bare spec with a 'digest' key is accepted too");
        object(s, "Rollback", Map.of("to", integer("the version to make live; default: the previously live one")), List.of());
        s.putObject("Zip").put("type", "string").put("contentMediaType", "application/zip");
        object(s, "NewToken", Map.of("name", str("a unique name"), "role", str("viewer, invoker, developer or admin"),
                "namespaces", Json.mapper().createObjectNode().put("type", "array").set("items", str("a namespace or *")),
                "expires", str("e.g. 30d, or never")), List.of("name", "role"));
        ObjectNode summary = object(s, "FunctionSummary", Map.of("name", str(""), "namespace", str(""), "runtime", str(""),
                "live", integer("the live version"), "latest", integer("the newest version"),
                "versions", integer("how many versions"), "url", str("where the gateway serves it"),
                "status", str("ready, no code, failing or error"), "error", str("why it is failing, if it is")),
                List.of("name", "namespace", "live"));
        summary.put("description", "a function's head as this node sees it");
        object(s, "FunctionList", Map.of("functions", array("FunctionSummary")), List.of("functions"));
        allOf(s, "Function", "FunctionSummary", Map.of("spec", ref("FunctionSpec"),
                "liveHistory", Json.mapper().createObjectNode().put("type", "array"),
                "aliases", Json.mapper().createObjectNode().put("type", "array"),
                "release", Json.mapper().createObjectNode().put("type", "object"),
                "instances", Json.mapper().createObjectNode().put("type", "array")));
        allOf(s, "Deployed", "FunctionSummary", Map.of("version", integer("the version written"),
                "changed", Json.mapper().createObjectNode().put("type", "boolean"), "digest", str("")));
        object(s, "Version", Map.of("version", integer(""), "digest", str(""), "createdAt", str("an instant"),
                "source", str("cli, api or file"), "spec", ref("FunctionSpec"),
                "live", Json.mapper().createObjectNode().put("type", "boolean")), List.of("version", "digest"));
        object(s, "Versions", Map.of("function", str("namespace/name"), "live", integer(""), "versions", array("Version")),
                List.of("function", "live", "versions"));
        object(s, "Uploaded", Map.of("digest", str("sha256:..."), "files", integer(""), "bytes", integer("")),
                List.of("digest"));
        object(s, "CodeListingOrFile", Map.of("function", str("namespace/name"), "version", integer(""),
                "files", Json.mapper().createObjectNode().put("type", "array").put("description",
                        "the listing: {path, bytes} per file"),
                "truncated", Json.mapper().createObjectNode().put("type", "boolean"),
                "path", str("with ?path=: the file"), "encoding", str("utf-8 or base64"), "content", str("")),
                List.of("function", "version"));
        object(s, "Health", Map.of("status", str("ready or degraded"), "node", str("the node's id"),
                "cluster", str("CONNECTED, SUSPENDED, ..."), "driver", Json.mapper().createObjectNode().put("type", "object"),
                "plugins", Json.mapper().createObjectNode().put("type", "array")), List.of("status"));
        return s;
    }

    private static ObjectNode object(ObjectNode schemas, String name, Map<String, ObjectNode> properties,
                                     List<String> required) {
        ObjectNode o = schemas.putObject(name);
        o.put("type", "object");
        ObjectNode props = o.putObject("properties");
        properties.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> props.set(e.getKey(), e.getValue()));
        if (!required.isEmpty()) {
            required.forEach(o.putArray("required")::add);
        }
        return o;
    }

    private static void allOf(ObjectNode schemas, String name, String base, Map<String, ObjectNode> extra) {
        ObjectNode o = schemas.putObject(name);
        var all = o.putArray("allOf");
        all.add(ref(base));
        ObjectNode more = all.addObject().put("type", "object").putObject("properties");
        extra.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> more.set(e.getKey(), e.getValue()));
    }

    private static ObjectNode str(String description) {
        ObjectNode n = Json.mapper().createObjectNode().put("type", "string");
        return description.isEmpty() ? n : n.put("description", description);
    }

    private static ObjectNode integer(String description) {
        ObjectNode n = Json.mapper().createObjectNode().put("type", "integer");
        return description.isEmpty() ? n : n.put("description", description);
    }

    private static ObjectNode ref(String name) {
        return Json.mapper().createObjectNode().put("$ref", "#/components/schemas/" + name);
    }

    private static ObjectNode array(String item) {
        ObjectNode n = Json.mapper().createObjectNode().put("type", "array");
        n.set("items", ref(item));
        return n;
    }
}
