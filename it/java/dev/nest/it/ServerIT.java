package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One in-process node with functions defined by YAML files: invocation pass-through (request and response),
 * Java sources compiled on apply, invocation records and logs, and the file watcher (edit, delete, mistakes).
 */
class ServerIT {
    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(ServerIT::writeFunctions);
    static final Http http = node.http();

    static final String ECHO_JS = """
            exports.handler = async (event, context) => {
              console.log('echo-log ' + event.path);
              return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) };
            };
            """;

    static void writeFunctions(Path functions) {
        Fixtures.nodeFunction(functions, "echo", "", ECHO_JS);
        Fixtures.nodeFunction(functions, "created", "", """
                exports.handler = async () => ({
                  statusCode: 201,
                  headers: { 'x-custom': 'yes', 'content-type': 'text/plain' },
                  body: 'made it',
                });
                """);
        Fixtures.nodeFunction(functions, "cookies", "", """
                exports.handler = async () => ({
                  statusCode: 200,
                  multiValueHeaders: { 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] },
                  body: 'two cookies',
                });
                """);
        Fixtures.nodeFunction(functions, "plain", "", "exports.handler = async () => ({ hello: 'world', n: 1 });\n");
        Fixtures.nodeFunction(functions, "greet", "env:\n  GREETING: Hello\n",
                "exports.handler = async () => ({ greeting: process.env.GREETING });\n");
        Fixtures.nodeFunction(functions, "doomed", "", "exports.handler = async () => 'still here';\n");
        Fixtures.nodeFunction(functions, "nsfn", "namespace: team-a\n", "exports.handler = async () => 'team a';\n");
        Fixtures.nodeFunction(functions, "keeper", "", "exports.handler = async () => 'kept';\n");
        Fixtures.nodeFunction(functions, "codeedit", "", "exports.handler = async () => 'before';\n");
        Fixtures.write(functions, "hj/Handler.java", """
                import dev.nest.fn.Context;
                import java.util.Map;

                public class Handler {
                    public Map<String, Object> handle(Map<String, Object> event, Context context) {
                        Object query = event.get("query");
                        Object who = query instanceof Map<?, ?> q && q.get("who") != null ? q.get("who") : "nobody";
                        return Map.of("lang", "java", "who", who, "path", event.get("path"));
                    }
                }
                """);
        Fixtures.write(functions, "hj.yaml", "name: hj\nruntime: java\ncode: hj\nhandler: Handler\nmemory: 256\n");
    }

    @Test
    void healthIsReady() {
        Http.Response r = http.get("/health");
        assertEquals(200, r.status(), r::toString);
        assertEquals("ready", r.json().path("status").asText(), r::toString);
    }

    @Test
    void echoGetsMethodPathQueryAndHeaders() {
        Http.Response r = http.send(http.request("/fn/echo/a/b?x=1&y=two&y=three&empty=")
                .header("X-Custom-Thing", "hello there").header("X-Nest-Sneaky", "must not pass")
                .method("DELETE", HttpRequest.BodyPublishers.noBody()));
        assertEquals(200, r.status(), r::toString);
        JsonNode e = r.json();
        assertEquals("DELETE", e.path("method").asText(), r::toString);
        assertEquals("DELETE", e.path("httpMethod").asText(), r::toString);
        assertEquals("/a/b", e.path("path").asText(), r::toString);
        assertEquals("1", e.path("query").path("x").asText(), r::toString);
        assertEquals("three", e.path("query").path("y").asText(), "last value wins: " + r);
        assertEquals("", e.path("query").path("empty").asText("missing"), r::toString);
        assertEquals("[\"two\",\"three\"]", e.path("multiValueQueryStringParameters").path("y").toString(), r::toString);
        assertEquals("hello there", e.path("headers").path("x-custom-thing").asText(), r::toString);
        e.path("headers").fieldNames().forEachRemaining(h ->
                assertFalse(h.startsWith("x-nest-"), "the function must not see X-Nest-* headers: " + h));
        assertTrue(e.path("body").isNull(), "no body: " + r);
        assertFalse(e.path("isBase64Encoded").asBoolean(true), r::toString);
    }

    @Test
    void echoGetsJsonBodyAsText() {
        String json = "{\"name\":\"Ada\",\"list\":[1,2,3],\"nested\":{\"ok\":true}}";
        Http.Response r = http.send(http.request("/fn/echo/users/7")
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)));
        assertEquals(200, r.status(), r::toString);
        JsonNode e = r.json();
        assertEquals("PUT", e.path("method").asText(), r::toString);
        assertEquals("/users/7", e.path("path").asText(), r::toString);
        assertEquals(json, e.path("body").asText(), r::toString);
        assertFalse(e.path("isBase64Encoded").asBoolean(true), r::toString);
        assertEquals("application/json", e.path("headers").path("content-type").asText(), r::toString);
        assertTrue(e.path("queryStringParameters").isNull(), "no query is null, as on Lambda: " + r);
    }

    @Test
    void echoGetsBinaryBodyAsBase64() {
        byte[] bytes = new byte[512];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7);
        }
        Http.Response r = http.post("/fn/echo/upload", "application/octet-stream", bytes);
        assertEquals(200, r.status(), r::toString);
        JsonNode e = r.json();
        assertEquals("POST", e.path("method").asText(), r::toString);
        assertTrue(e.path("isBase64Encoded").asBoolean(false), r::toString);
        assertEquals(Base64.getEncoder().encodeToString(bytes), e.path("body").asText(), r::toString);
    }

    @Test
    void responseStatusHeadersAndBodyPassThrough() {
        Http.Response r = http.get("/fn/created");
        assertEquals(201, r.status(), r::toString);
        assertEquals("yes", r.header("x-custom").orElse(""), r::toString);
        assertTrue(r.header("content-type").orElse("").startsWith("text/plain"), r::toString);
        assertEquals("made it", r.text());
    }

    @Test
    void repeatedHeadersPassThroughBothWays() {
        Http.Response r = http.send(http.request("/fn/echo/multi").header("X-Multi", "one").header("X-Multi", "two").GET());
        assertEquals(200, r.status(), r::toString);
        assertEquals("[\"one\",\"two\"]", r.json().path("multiValueHeaders").path("x-multi").toString(), r::toString);

        Http.Response c = http.get("/fn/cookies");
        assertEquals(200, c.status(), c::toString);
        assertEquals(List.of("a=1; Path=/", "b=2; Path=/"), c.headers().allValues("set-cookie"), c::toString);
        assertEquals("two cookies", c.text());
    }

    @Test
    void chunkedRequestBodyReachesTheFunctionWhole() {
        byte[] bytes = new byte[100_000];
        new java.util.Random(42).nextBytes(bytes);
        Http.Response r = http.send(http.request("/fn/echo/chunked").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes))));
        assertEquals(200, r.status(), r::toString);
        assertEquals(Base64.getEncoder().encodeToString(bytes), r.json().path("body").asText(), "the body arrives whole");
    }

    @Test
    void functionsOfOtherNamespacesLiveUnderNs() {
        Http.Response r = http.get("/ns/team-a/fn/nsfn/x");
        assertEquals(200, r.status(), r::toString);
        assertEquals("\"team a\"", r.text());
        assertEquals(404, http.get("/fn/nsfn").status(), "not in the default namespace");
        JsonNode listed = http.get("/api/v1/functions?namespace=team-a").json().path("functions");
        assertEquals(1, listed.size(), listed::toString);
        assertEquals("nsfn", listed.get(0).path("name").asText(), listed::toString);
        assertEquals(http.base() + "/ns/team-a/fn/nsfn", listed.get(0).path("url").asText(), listed::toString);
    }

    @Test
    void plainObjectBecomes200Json() {
        Http.Response r = http.get("/fn/plain");
        assertEquals(200, r.status(), r::toString);
        assertTrue(r.header("content-type").orElse("").startsWith("application/json"), r::toString);
        assertEquals("world", r.json().path("hello").asText(), r::toString);
        assertEquals(1, r.json().path("n").asInt(), r::toString);
    }

    @Test
    void javaFunctionFromSourcesCompilesAndAnswers() {
        Http.Response r = http.get("/fn/hj/some/where?who=duke");
        assertEquals(200, r.status(), r::toString);
        JsonNode b = r.json();
        assertEquals("java", b.path("lang").asText(), r::toString);
        assertEquals("duke", b.path("who").asText(), r::toString);
        assertEquals("/some/where", b.path("path").asText(), r::toString);
    }

    @Test
    void invocationIsListedWithStatusAndColdFlag() {
        Http.Response r = http.get("/fn/plain/recorded");
        assertEquals(200, r.status(), r::toString);
        String id = r.header("x-nest-invocation-id").orElse("");
        assertFalse(id.isBlank(), "x-nest-invocation-id header: " + r);

        JsonNode rec = awaitRecord("plain", id);
        assertEquals(200, rec.path("status").asInt(), rec::toString);
        assertTrue(rec.path("cold").isBoolean(), "cold flag: " + rec);
        assertEquals(r.header("x-nest-cold").isPresent(), rec.path("cold").asBoolean(), rec::toString);
        assertEquals("default/plain", rec.path("function").asText(), rec::toString);
        assertFalse(rec.path("instance").asText().isBlank(), rec::toString);
        assertTrue(rec.path("phases").has("exec"), "phases in the list: " + rec);
    }

    @Test
    void invocationByIdShowsPhasesAndLogs() {
        Http.Response r = http.get("/fn/echo/by-id");
        assertEquals(200, r.status(), r::toString);
        String id = r.header("x-nest-invocation-id").orElseThrow();
        JsonNode rec = awaitRecord("echo", id);

        Http.Response one = Poll.until("GET /api/v1/invocations/" + id + " with its log line",
                () -> http.get("/api/v1/invocations/" + id),
                x -> x.status() != 200 || x.json().path("logs").toString().contains("echo-log /by-id"));
        assertEquals(200, one.status(), one::toString);
        JsonNode inv = one.json().path("invocation");
        assertEquals(id, inv.path("id").asText(), one::toString);
        JsonNode phases = inv.path("phases");
        assertTrue(phases.has("queue") && phases.has("exec"), "phases queue and exec: " + one);
        if (rec.path("cold").asBoolean()) {
            assertTrue(phases.has("pod") && phases.has("load") && phases.has("init"),
                    "a cold start records pod, load and init: " + one);
        }
    }

    @Test
    void coldThenWarm() {
        Fixtures.nodeFunction(node.functions(), "coldwarm", "deploy: dedicated\n", "exports.handler = async () => 'cw';\n");
        node.server().rescanFunctions();
        Http.Response first = Poll.until("/fn/coldwarm deployed", () -> http.get("/fn/coldwarm"), x -> x.status() != 404);
        assertEquals(200, first.status(), first::toString);
        assertEquals("true", first.header("x-nest-cold").orElse(""), "first call is a cold start: " + first);
        Http.Response second = http.get("/fn/coldwarm");
        assertEquals(200, second.status(), second::toString);
        assertTrue(second.header("x-nest-cold").isEmpty(), "second call is warm: " + second);
    }

    @Test
    void consoleLogIsAttributedToTheInvocation() {
        Http.Response r = http.get("/fn/echo/log-check");
        assertEquals(200, r.status(), r::toString);
        String id = r.header("x-nest-invocation-id").orElseThrow();
        JsonNode line = Poll.until("the echo-log line of " + id + " in GET /api/v1/functions/echo/logs", () -> {
            for (JsonNode l : http.get("/api/v1/functions/echo/logs?limit=1000").json().path("logs")) {
                if (l.path("text").asText().contains("echo-log /log-check")) {
                    return l;
                }
            }
            return null;
        }, l -> l != null);
        assertEquals(id, line.path("invocationId").asText(), line::toString);
        assertEquals("info", line.path("level").asText(), line::toString);

        JsonNode filtered = http.get("/api/v1/functions/echo/logs?invocation=" + id).json().path("logs");
        assertTrue(filtered.size() >= 1, "?invocation= filter: " + filtered);
        filtered.forEach(l -> assertEquals(id, l.path("invocationId").asText(), filtered::toString));
    }

    @Test
    void editingTheFileIsPickedUpWithoutRestart() {
        Http.Response before = http.get("/fn/greet");
        assertEquals(200, before.status(), before::toString);
        assertEquals("Hello", before.json().path("greeting").asText(), before::toString);

        Fixtures.write(node.functions(), "greet.yaml", "name: greet\nruntime: nodejs\ncode: greet\nenv:\n  GREETING: Howdy\n");
        Http.Response after = Poll.until("/fn/greet to answer Howdy", () -> http.get("/fn/greet"),
                x -> x.status() == 200 && x.text().contains("Howdy"));
        assertEquals("Howdy", after.json().path("greeting").asText(), after::toString);

        JsonNode versions = http.get("/api/v1/functions/greet/versions").json();
        assertEquals(2, versions.path("live").asInt(), versions::toString);
        List<Integer> numbers = new ArrayList<>();
        versions.path("versions").forEach(v -> numbers.add(v.path("version").asInt()));
        assertEquals(List.of(1, 2), numbers, versions::toString);
    }

    @Test
    void deletingTheFileRemovesTheFunction() throws IOException {
        assertEquals(200, http.get("/fn/doomed").status());
        Files.delete(node.functions().resolve("doomed.yaml"));
        Http.Response gone = Poll.until("/fn/doomed to be gone", () -> http.get("/fn/doomed"), x -> x.status() == 404);
        assertErrorBody(gone);
        assertEquals(404, http.get("/api/v1/functions/doomed").status());
    }

    @Test
    void aBrokenFileIsReportedAndHarmsNoOtherFunction() {
        Fixtures.write(node.functions(), "broken.yaml", "name: broken\nruntime: nodejs\ncode: plain\nmemory: lots\n");
        Http.Response one = Poll.until("GET /api/v1/functions/broken to report the file",
                () -> http.get("/api/v1/functions/broken"), x -> x.status() == 200);
        JsonNode f = one.json();
        assertEquals("error", f.path("status").asText(), one::toString);
        String error = f.path("error").asText();
        assertTrue(error.contains("broken.yaml"), "names the file: " + error);
        assertTrue(error.contains("memory"), "names the key: " + error);
        assertTrue(error.contains("lots"), "names the value: " + error);

        JsonNode listed = null;
        for (JsonNode x : http.get("/api/v1/functions").json().path("functions")) {
            if (x.path("name").asText().equals("broken")) {
                listed = x;
            }
        }
        assertNotNull(listed, "broken is listed");
        assertTrue(listed.path("error").asText().contains("broken.yaml") && listed.path("error").asText().contains("memory")
                && listed.path("error").asText().contains("lots"), listed::toString);

        Http.Response plain = http.get("/fn/plain");
        assertEquals(200, plain.status(), "other functions keep working: " + plain);
        assertEquals(404, http.get("/fn/broken").status());

        Fixtures.write(node.functions(), "broken.yaml", "name: broken\nruntime: nodejs\ncode: plain\nmemory: 128\n");
        Http.Response fixed = Poll.until("/fn/broken to work once its file is fixed", () -> http.get("/fn/broken"),
                x -> x.status() == 200);
        assertEquals("world", fixed.json().path("hello").asText(), fixed::toString);
        JsonNode now = http.get("/api/v1/functions/broken").json();
        assertFalse(now.has("error"), "the error is gone: " + now);
    }

    @Test
    void editingTheCodeDirectoryIsPickedUp() {
        Http.Response before = http.get("/fn/codeedit");
        assertEquals("\"before\"", before.text(), before::toString);
        Fixtures.write(node.functions(), "codeedit/index.js", "exports.handler = async () => 'after the edit';\n");
        Http.Response after = Poll.until("/fn/codeedit to run the edited code", () -> http.get("/fn/codeedit"),
                x -> x.status() == 200 && x.text().contains("after the edit"));
        assertEquals("\"after the edit\"", after.text(), after::toString);
        assertEquals(2, http.get("/api/v1/functions/codeedit/versions").json().path("live").asInt());
    }

    @Test
    void aMistakeInARunningFunctionsFileKeepsTheLastGoodVersion() {
        Http.Response before = http.get("/fn/keeper");
        assertEquals(200, before.status(), before::toString);
        Fixtures.write(node.functions(), "keeper.yaml", "name: keeper\nruntime: nodejs\ncode: keeper\ntimeout: forever\n");
        JsonNode f = Poll.until("GET /api/v1/functions/keeper to report the mistake",
                () -> http.get("/api/v1/functions/keeper").json(), x -> x.path("error").asText().contains("timeout"));
        assertTrue(f.path("error").asText().contains("keeper.yaml") && f.path("error").asText().contains("forever"), f::toString);
        Http.Response during = http.get("/fn/keeper");
        assertEquals(200, during.status(), "the last good version keeps serving: " + during);
        assertEquals("\"kept\"", during.text(), during::toString);

        Fixtures.write(node.functions(), "keeper.yaml", "name: keeper\nruntime: nodejs\ncode: keeper\ntimeout: 5s\n");
        JsonNode fixed = Poll.until("the mistake in keeper.yaml to clear", () -> http.get("/api/v1/functions/keeper").json(),
                x -> !x.has("error"));
        assertEquals("ready", fixed.path("status").asText(), fixed::toString);
        assertEquals(200, http.get("/fn/keeper").status());
    }

    static JsonNode awaitRecord(String function, String id) {
        return http.awaitInvocation(function, id);
    }

    static void assertErrorBody(Http.Response r) {
        JsonNode b = r.json();
        assertTrue(b.path("error").isTextual() && !b.path("error").asText().isBlank(), "error: " + r);
        assertTrue(b.path("detail").isTextual() && !b.path("detail").asText().isBlank(), "detail: " + r);
        assertTrue(r.header("content-type").orElse("").startsWith("application/json"), r::toString);
    }
}
