package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A rollback through the API is effective when the call returns and costs no cold start: the previous
 * version's instance is still warm (within its keep-alive), so the very next request is served by it.
 */
class RollbackIT {
    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode);
    static final Http http = node.http();

    @Test
    void rollbackIsServedByTheWarmPreviousVersion() {
        String name = "rb";
        assertEquals(1, deploy(name, "v1"));
        Http.Response v1 = http.get("/fn/" + name);
        assertEquals("v1", answer(v1), v1::toString);
        assertEquals("true", v1.header("x-nest-cold").orElse(""), "first call of v1 is cold: " + v1);

        assertEquals(2, deploy(name, "v2"));
        Http.Response v2 = http.get("/fn/" + name);
        assertEquals("v2", answer(v2), "a deploy is live when the call returns: " + v2);
        // v2's first call is cold, or warm when it joined a start the node had begun for the new live version
        // before the call arrived (only the request whose arrival asked for a start is marked cold)
        Http.Response v2warm = http.get("/fn/" + name);
        assertEquals("v2", answer(v2warm), v2warm::toString);
        assertTrue(v2warm.header("x-nest-cold").isEmpty(), "v2 is warm: " + v2warm);

        Http.Response rb = http.postJson("/api/v1/functions/" + name + "/rollback", "{}");
        assertEquals(200, rb.status(), rb::toString);
        assertEquals(1, rb.json().path("live").asInt(), rb::toString);

        Http.Response next = http.get("/fn/" + name);
        assertEquals(200, next.status(), next::toString);
        assertEquals("v1", answer(next), "the very next request after the rollback is v1: " + next);
        assertTrue(next.header("x-nest-cold").isEmpty(), "served by v1's warm instance, no cold start: " + next);
        for (int i = 0; i < 20; i++) {
            Http.Response again = http.get("/fn/" + name);
            assertEquals("v1", answer(again), "request " + i + " after the rollback: " + again);
            assertTrue(again.header("x-nest-cold").isEmpty(), again::toString);
        }

        JsonNode versions = http.get("/api/v1/functions/" + name + "/versions").json();
        assertEquals(1, versions.path("live").asInt(), versions::toString);
    }

    /** Uploads a package answering {@code {"v": tag}} and deploys it as the next version; returns the version. */
    static int deploy(String name, String tag) {
        byte[] zip = Fixtures.zip(node.scratch(), Map.of("index.js",
                "exports.handler = async (event, context) => ({ v: '" + tag + "', version: context.functionVersion });\n"));
        return http.deploy(name, Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "10s"), zip)
                .json().path("version").asInt();
    }

    static String answer(Http.Response r) {
        assertEquals(200, r.status(), r::toString);
        return r.json().path("v").asText();
    }
}
