package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runtime hosts end invocations at their deadline themselves (runtimes/CONTRACT.md, "Deadlines"), so a timeout costs
 * the invocation and not the instance: a Node.js handler awaiting a promise that never settles and a Java handler
 * sleeping past its timeout get the host's 504 and the same instance serves the next request. Only what the host
 * cannot end replaces the instance: a Node.js busy loop blocks the host's event loop (the gateway gives up after its
 * grace and recycles it); a Java handler that ignores its interruption makes the host report the instance unhealthy
 * (it is retired). Each function keeps one instance ({@code scaling.min 1}), read through the API before and after.
 */
class HostDeadlineIT {
    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(HostDeadlineIT::writeFunctions);
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        String one = "scaling:\n  min: 1\n  max: 1\n";
        Fixtures.nodeFunction(functions, "awaits", "deploy: dedicated\ntimeout: 800ms\n" + one, """
                exports.handler = async (event) => {
                  if (event.query.forever) await new Promise(() => {});
                  return { ok: true };
                };
                """);
        Fixtures.nodeFunction(functions, "spins", "deploy: dedicated\ntimeout: 500ms\n" + one, """
                exports.handler = async (event) => {
                  if (event.query.spin) for (;;) {}
                  return { ok: true };
                };
                """);
        javaFunction(functions, "sleeps", """
                import dev.nest.fn.Context;
                import java.util.Map;

                public class Handler {
                    public Object handle(Map<String, Object> event, Context context) throws InterruptedException {
                        if (((Map<?, ?>) event.get("query")).containsKey("sleep")) Thread.sleep(60_000);
                        return Map.of("ok", true);
                    }
                }
                """);
        javaFunction(functions, "ignores", """
                import dev.nest.fn.Context;
                import java.util.Map;

                public class Handler {
                    public Object handle(Map<String, Object> event, Context context) {
                        if (((Map<?, ?>) event.get("query")).containsKey("spin")) {
                            long end = System.nanoTime() + 3_000_000_000L;
                            while (System.nanoTime() < end) Thread.interrupted(); // ignores its interruption
                        }
                        return Map.of("ok", true);
                    }
                }
                """);
    }

    private static void javaFunction(Path functions, String name, String source) {
        Fixtures.write(functions, name + "/Handler.java", source);
        Fixtures.write(functions, name + ".yaml", "name: " + name + "\nruntime: java\ncode: " + name
                + "\nhandler: Handler\ndeploy: dedicated\nmemory: 256\ntimeout: 800ms\nscaling:\n  min: 1\n  max: 1\n");
    }

    @Test
    void aNodeHandlerAwaitingForeverGetsTheHosts504AndTheInstanceStays() {
        assertTimeoutKeepsTheInstance("awaits", "?forever=1", "800 ms");
    }

    @Test
    void aJavaHandlerSleepingPastItsTimeoutIsInterruptedAndTheInstanceStays() {
        assertTimeoutKeepsTheInstance("sleeps", "?sleep=1", "interrupted");
    }

    @Test
    void aNodeBusyLoopIsRecycledByTheGateway() {
        String before = theInstance("spins");
        Http.Response r = http.get("/fn/spins?spin=1");
        assertEquals(504, r.status(), r::toString);
        assertTrue(r.json().path("detail").asText().contains("recycled"), "the gateway answered: " + r);
        assertEquals(before, record("spins", r).path("instance").asText());
        String after = replaced("spins", before);
        Http.Response next = http.get("/fn/spins");
        assertEquals(200, next.status(), next::toString);
        assertEquals(after, record("spins", next).path("instance").asText());
    }

    @Test
    void aJavaHandlerIgnoringItsInterruptionGets504AndItsInstanceIsRetired() {
        String before = theInstance("ignores");
        Http.Response r = http.get("/fn/ignores?spin=1");
        assertEquals(504, r.status(), r::toString);
        assertEquals("function timed out", r.json().path("error").asText(), r::toString);
        assertTrue(r.json().path("detail").asText().contains("interrupted"), "the host answered: " + r);
        assertTrue(r.header("x-nest-instance-health").isEmpty(), "the host's report stays inside: " + r);
        assertEquals(before, record("ignores", r).path("instance").asText());
        String after = replaced("ignores", before);
        Http.Response next = http.get("/fn/ignores");
        assertEquals(200, next.status(), next::toString);
        assertEquals(after, record("ignores", next).path("instance").asText());
    }

    private static void assertTimeoutKeepsTheInstance(String function, String query, String mention) {
        String before = theInstance(function);
        Http.Response r = http.get("/fn/" + function + query);
        assertEquals(504, r.status(), r::toString);
        assertEquals("function timed out", r.json().path("error").asText(), r::toString);
        assertTrue(r.json().path("detail").asText().contains(mention), "detail mentions '" + mention + "': " + r);
        String id = r.header("x-nest-invocation-id").orElseThrow();
        assertEquals(id, r.json().path("invocationId").asText(), r::toString);
        JsonNode rec = record(function, r);
        assertEquals(504, rec.path("status").asInt(), rec::toString);
        assertTrue(rec.path("error").asText().startsWith("timeout: "), rec::toString);
        assertEquals(before, rec.path("instance").asText(), rec::toString);

        Http.Response next = http.get("/fn/" + function);
        assertEquals(200, next.status(), next::toString);
        assertEquals(before, record(function, next).path("instance").asText(), "the same instance serves on");
        JsonNode now = http.get("/api/v1/functions/" + function + "/instances").json();
        assertEquals(1, now.size(), now::toString);
        assertEquals(before, now.get(0).path("id").asText(), "not recycled: " + now);
    }

    /** The id of the function's one ready instance (kept by scaling.min 1). */
    private static String theInstance(String function) {
        return Poll.until("a ready instance of " + function, () -> http.get("/api/v1/functions/" + function + "/instances").json(),
                n -> n.size() == 1 && n.get(0).path("state").asText().equals("READY")).get(0).path("id").asText();
    }

    /** Waits until another instance than {@code before} is the function's one instance; returns its id. */
    private static String replaced(String function, String before) {
        String after = Poll.until("the instance " + before + " of " + function + " to be replaced",
                () -> http.get("/api/v1/functions/" + function + "/instances").json(),
                n -> n.size() == 1 && !n.get(0).path("id").asText().equals(before)
                        && n.get(0).path("state").asText().equals("READY")).get(0).path("id").asText();
        assertNotEquals(before, after);
        return after;
    }

    private static JsonNode record(String function, Http.Response r) {
        return http.awaitInvocation(function, r.header("x-nest-invocation-id").orElseThrow());
    }
}
