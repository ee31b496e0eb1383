package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.config.NestConfig;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every error a caller can meet, each answered with a JSON {@code {"error", "detail"}} body that says what
 * happened, on one in-process node that must stay up through all of them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ErrorsIT {
    static final Path CONFIG = Fixtures.projectRoot().resolve("it/resources/errors-nest.yaml");

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(ErrorsIT::writeFunctions).config(() -> {
                NestConfig config = NestConfig.load(CONFIG);
                assertEquals(2048, config.server().maxBody(), "it/resources/errors-nest.yaml sets server.max-body");
                return config;
            });
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        Fixtures.nodeFunction(functions, "thrower", "deploy: dedicated\n", """
                exports.handler = async (event) => {
                  if (event.query.fail) throw new TypeError('boom-' + event.query.fail);
                  return { ok: true, pid: process.pid };
                };
                """);
        // a warm instance is kept (min 1), so that the 500 ms budget is never spent on a cold start
        Fixtures.nodeFunction(functions, "sleeper", "deploy: dedicated\ntimeout: 500ms\nscaling:\n  min: 1\n", """
                exports.handler = async (event) => {
                  if (event.query.hang) return new Promise(() => {});
                  return { ok: true, pid: process.pid };
                };
                """);
        Fixtures.nodeFunction(functions, "dier", "deploy: dedicated\n", """
                exports.handler = async (event) => {
                  if (event.query.die) process.exit(1);
                  return { ok: true, pid: process.pid };
                };
                """);
        // one instance, one request at a time: a second request must wait for it
        Fixtures.nodeFunction(functions, "solo", "deploy: dedicated\nconcurrency: 1\nscaling:\n  max: 1\n", """
                exports.handler = async (event) => {
                  if (event.query.die) {
                    setTimeout(() => process.exit(1), 1500);
                    return new Promise(() => {});
                  }
                  return { ok: true, pid: process.pid };
                };
                """);
        // one instance, one request at a time, one request may wait: a third is refused
        Fixtures.nodeFunction(functions, "narrow", "deploy: dedicated\nconcurrency: 1\nscaling:\n  max: 1\nqueue:\n  size: 1\n", """
                exports.handler = async (event) => {
                  if (event.query.slow) await new Promise((resolve) => setTimeout(resolve, 2000));
                  return { ok: true };
                };
                """);
    }

    @Test
    @Order(1)
    void unknownFunctionIs404() {
        Http.Response r = http.get("/fn/nosuch/a?b=c");
        assertEquals(404, r.status(), r::toString);
        assertErrorBody(r, "nosuch");
        assertEquals(404, http.get("/ns/other/fn/nosuch").status());
        Http.Response api = http.get("/api/v1/functions/nosuch");
        assertEquals(404, api.status(), api::toString);
        assertErrorBody(api, "nosuch");
    }

    @Test
    @Order(2)
    void throwingHandlerIs500AndTheInstanceStaysInService() {
        Http.Response first = http.get("/fn/thrower?fail=123");
        assertEquals(500, first.status(), first::toString);
        assertErrorBody(first, "boom-123");
        String id = first.header("x-nest-invocation-id").orElse("");
        assertFalse(id.isBlank(), first::toString);
        assertEquals(id, first.json().path("invocationId").asText(), "the body names the invocation: " + first);
        assertEquals("TypeError", first.json().path("type").asText(), first::toString);

        Http.Response second = http.get("/fn/thrower");
        assertEquals(200, second.status(), second::toString);
        String secondId = second.header("x-nest-invocation-id").orElseThrow();

        JsonNode failed = awaitRecord("thrower", id);
        JsonNode ok = awaitRecord("thrower", secondId);
        assertEquals(500, failed.path("status").asInt(), failed::toString);
        assertTrue(failed.path("error").asText().contains("boom-123"), "the record keeps the error: " + failed);
        assertEquals(failed.path("instance").asText(), ok.path("instance").asText(),
                "a function error does not cost the instance: " + failed + " / " + ok);
    }

    @Test
    @Order(3)
    void hangingHandlerIs504AndTheInstanceStaysInService() {
        JsonNode warm = Poll.until("a ready instance of sleeper (scaling.min 1)",
                () -> http.get("/api/v1/functions/sleeper/instances").json(), n -> n.size() == 1);
        String before = warm.get(0).path("id").asText();

        // the host ends the invocation at its deadline itself (see HostDeadlineIT): a timeout costs no instance
        Http.Response hung = http.get("/fn/sleeper?hang=1");
        assertEquals(504, hung.status(), hung::toString);
        assertErrorBody(hung, "500 ms");
        String hungId = hung.header("x-nest-invocation-id").orElseThrow();
        JsonNode hungRecord = awaitRecord("sleeper", hungId);
        assertEquals(504, hungRecord.path("status").asInt(), hungRecord::toString);
        assertEquals(before, hungRecord.path("instance").asText(), hungRecord::toString);

        Http.Response next = http.get("/fn/sleeper");
        assertEquals(200, next.status(), next::toString);
        JsonNode nextRecord = awaitRecord("sleeper", next.header("x-nest-invocation-id").orElseThrow());
        assertEquals(before, nextRecord.path("instance").asText(), "served by the same instance: " + nextRecord);
    }

    @Test
    @Order(4)
    void bodyOverTheLimitIs413() {
        byte[] big = new byte[4096];
        Http.Response r = http.post("/fn/thrower", "application/octet-stream", big);
        assertEquals(413, r.status(), r::toString);
        assertErrorBody(r, "server.max-body");
        Http.Response small = http.post("/fn/thrower", "application/octet-stream", new byte[1024]);
        assertEquals(200, small.status(), "a body under the limit passes: " + small);
    }

    @Test
    @Order(5)
    void chunkedBodyOverTheLimitIs413() {
        // no Content-Length: the limit must be enforced while reading
        Http.Response r = http.send(http.request("/fn/thrower").header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[8192]))));
        assertEquals(413, r.status(), r::toString);
        assertErrorBody(r, "server.max-body");
    }

    @Test
    @Order(6)
    void malformedSpecIs400NamingTheKey() {
        String digest = uploadNode("exports.handler = async () => 'x';\n");
        Http.Response r = http.postJson("/api/v1/functions/x/versions",
                Map.of("spec", Map.of("runtime", "nodejs", "memory", "lots"), "digest", digest));
        assertEquals(400, r.status(), r::toString);
        assertErrorBody(r, "memory");
        assertTrue(r.json().path("detail").asText().contains("lots"), "names the value: " + r);
        assertEquals(404, http.get("/api/v1/functions/x").status(), "nothing was created");
    }

    @Test
    @Order(7)
    void malformedJsonIs400() {
        Http.Response r = http.postJson("/api/v1/functions/x/versions", "{\"spec\": {\"runtime\": \"nodejs\",");
        assertEquals(400, r.status(), r::toString);
        assertErrorBody(r, "JSON");
        Http.Response rollback = http.postJson("/api/v1/functions/thrower/rollback", "{to: 1");
        assertEquals(400, rollback.status(), rollback::toString);
        assertErrorBody(rollback, "JSON");
    }

    @Test
    @Order(8)
    void packageThatIsNotAZipIs400() {
        Http.Response r = http.post("/api/v1/artifacts", "application/zip",
                "this is not a zip archive".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, r.status(), r::toString);
        assertErrorBody(r, "zip");
    }

    @Test
    @Order(9)
    void javaCompileErrorIs400WithFileAndLine() {
        byte[] zip = Fixtures.zip(node.scratch(), Map.of("Handler.java", """
                public class Handler {
                    public Object handle(java.util.Map<String, Object> event, dev.nest.fn.Context context) {
                        return undefinedVariable;
                    }
                }
                """));
        Http.Response r = http.post("/api/v1/artifacts?runtime=java", "application/zip", zip);
        assertEquals(400, r.status(), r::toString);
        assertErrorBody(r, "Handler.java:3");
        assertTrue(r.json().path("detail").asText().contains("undefinedVariable"), "quotes javac: " + r);
    }

    @Test
    @Order(10)
    void runtimeNotInstalledIs400NamingIt() {
        Http.Response upload = http.post("/api/v1/artifacts?runtime=cobol", "application/zip",
                Fixtures.zip(node.scratch(), Map.of("MAIN.CBL", "IDENTIFICATION DIVISION.\n")));
        assertEquals(400, upload.status(), upload::toString);
        assertErrorBody(upload, "cobol");

        String digest = uploadNode("exports.handler = async () => 'x';\n");
        Http.Response deploy = http.postJson("/api/v1/functions/cob/versions",
                Map.of("spec", Map.of("runtime", "cobol"), "digest", digest));
        assertEquals(400, deploy.status(), deploy::toString);
        assertErrorBody(deploy, "cobol");
        assertTrue(deploy.json().path("detail").asText().contains("nodejs"), "lists what is installed: " + deploy);
    }

    @Test
    @Order(11)
    void hostThatDiesMidRequestIs502AndTheNextRequestWorks() {
        Http.Response warm = http.get("/fn/dier");
        assertEquals(200, warm.status(), warm::toString);
        String firstInstance = awaitRecord("dier", warm.header("x-nest-invocation-id").orElseThrow()).path("instance").asText();

        Http.Response died = http.get("/fn/dier?die=1");
        assertEquals(502, died.status(), died::toString);
        assertErrorBody(died, "retry");
        JsonNode diedRecord = awaitRecord("dier", died.header("x-nest-invocation-id").orElseThrow());
        assertEquals(502, diedRecord.path("status").asInt(), diedRecord::toString);

        Http.Response next = http.get("/fn/dier");
        assertEquals(200, next.status(), next::toString);
        assertNotEquals(warm.json().path("pid").asInt(), next.json().path("pid").asInt(), "a new host process");
        String nextInstance = awaitRecord("dier", next.header("x-nest-invocation-id").orElseThrow()).path("instance").asText();
        assertNotEquals(firstInstance, nextInstance, "a new instance");
    }

    @Test
    @Order(12)
    void aRequestWaitingForAnInstanceThatDiesIsServedByItsReplacement() throws Exception {
        Http.Response warm = http.get("/fn/solo");
        assertEquals(200, warm.status(), warm::toString);
        int firstPid = warm.json().path("pid").asInt();

        var dying = http.sendAsync(http.request("/fn/solo?die=1").GET());
        Poll.until("the dying request to be in flight on solo's only instance",
                () -> http.get("/api/v1/functions/solo/instances").json(),
                n -> n.size() == 1 && n.get(0).path("inFlight").asInt() == 1);
        // concurrency 1 and scaling.max 1: this request waits for the instance, which then dies
        var waiting = http.sendAsync(http.request("/fn/solo").GET());

        Http.Response died = dying.get(30, TimeUnit.SECONDS);
        assertEquals(502, died.status(), died::toString);
        Http.Response served = waiting.get(30, TimeUnit.SECONDS);
        assertEquals(200, served.status(), "the waiting request is served by the replacement: " + served);
        assertNotEquals(firstPid, served.json().path("pid").asInt(), served::toString);
    }

    @Test
    @Order(13)
    void aFullQueueIs429() throws Exception {
        assertEquals(200, http.get("/fn/narrow").status());
        var slow = http.sendAsync(http.request("/fn/narrow?slow=1").GET());
        Poll.until("the slow request to be in flight on narrow's only instance",
                () -> http.get("/api/v1/functions/narrow/instances").json(),
                n -> n.size() == 1 && n.get(0).path("inFlight").asInt() == 1);
        // while it runs, one of these two waits (queue.size 1) and the other is refused
        var a = http.sendAsync(http.request("/fn/narrow?n=a").GET());
        var b = http.sendAsync(http.request("/fn/narrow?n=b").GET());
        Http.Response ra = a.get(30, TimeUnit.SECONDS);
        Http.Response rb = b.get(30, TimeUnit.SECONDS);
        assertEquals(200, slow.get(30, TimeUnit.SECONDS).status());
        Http.Response refused = ra.status() == 429 ? ra : rb;
        Http.Response waited = ra.status() == 429 ? rb : ra;
        assertEquals(429, refused.status(), "one is refused: " + ra + " / " + rb);
        assertErrorBody(refused, "queue.size");
        assertEquals(200, waited.status(), "the other waits and is served: " + waited);
    }

    @Test
    @Order(14)
    void unknownApiEndpointIs404Json() {
        Http.Response r = http.get("/api/v1/nothing-here");
        assertEquals(404, r.status(), r::toString);
        assertErrorBody(r, "nothing-here");
    }

    @Test
    @Order(15)
    void unknownPathIs404Json() {
        Http.Response root = http.get("/");
        assertEquals(302, root.status(), "the root leads to the console: " + root);
        assertEquals(Optional.of("/console/"), root.header("location"), root::toString);
        for (String path : new String[] {"/nosuch", "/fn", "/ns/team-a"}) {
            Http.Response r = http.get(path);
            assertEquals(404, r.status(), r::toString);
            assertErrorBody(r, path);
        }
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void serverIsStillUp() {
        Http.Response r = http.get("/health");
        assertEquals(200, r.status(), r::toString);
        assertEquals("ready", r.json().path("status").asText(), r::toString);
        assertEquals(200, http.get("/fn/thrower").status(), "functions still answer");
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    /** Uploads a Node.js package with {@code index.js}; returns its digest. */
    static String uploadNode(String indexJs) {
        return http.upload("nodejs", Fixtures.zip(node.scratch(), Map.of("index.js", indexJs)));
    }

    static JsonNode awaitRecord(String function, String id) {
        return http.awaitInvocation(function, id);
    }

    /** A JSON {"error", "detail"} body whose detail mentions {@code mention}. */
    static void assertErrorBody(Http.Response r, String mention) {
        assertTrue(r.header("content-type").orElse("").startsWith("application/json"), "JSON error: " + r);
        JsonNode b = r.json();
        assertTrue(b.path("error").isTextual() && !b.path("error").asText().isBlank(), "has 'error': " + r);
        assertTrue(b.path("detail").isTextual() && !b.path("detail").asText().isBlank(), "has 'detail': " + r);
        assertTrue(b.path("detail").asText().contains(mention), "detail mentions '" + mention + "': " + r);
    }
}
