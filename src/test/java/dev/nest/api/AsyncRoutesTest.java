package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.async.NewEvent;
import dev.nest.async.Result;
import dev.nest.common.Json;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The async invocations' ledger and dead letters through the admin API. */
class AsyncRoutesTest {
    private static final String P = AdminRoutes.PREFIX;
    @TempDir
    Path dir;
    private AdminApiFixture api;

    @BeforeEach
    void start() {
        api = new AdminApiFixture(dir).start();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private static JsonNode json(HttpResponse<String> res) throws Exception {
        return Json.mapper().readTree(res.body());
    }

    private void enqueue(String id) {
        api.asyncQueue.enqueue(new NewEvent(id, "default/hello", "POST", "/", "", List.of(),
                "x".getBytes(StandardCharsets.UTF_8), Optional.empty(), api.clock.instant())).join();
    }

    @Test
    void ledgerShowsQueuedAndSucceededInvocations() throws Exception {
        enqueue("a1");
        JsonNode queued = json(api.get(P + "/invocations/a1"));
        assertEquals("queued", queued.get("async").get("state").asText());
        assertFalse(queued.has("invocation"), "no attempt yet: no invocation record");
        api.asyncQueue.lease(1, Duration.ofMinutes(5), f -> 1);
        api.asyncQueue.succeeded("a1", 1, new Result(200, 7, "{\"ok\":true}".getBytes(StandardCharsets.UTF_8), ""));
        JsonNode done = json(api.get(P + "/invocations/a1")).get("async");
        assertEquals("succeeded", done.get("state").asText());
        assertEquals(200, done.get("status").asInt());
        assertEquals("{\"ok\":true}", done.get("result").asText());
        assertEquals(404, api.get(P + "/invocations/nope").statusCode());
    }

    @Test
    void deadLettersAreListedAndRedriven() throws Exception {
        enqueue("d1");
        enqueue("d2");
        api.asyncQueue.lease(10, Duration.ofMinutes(5), f -> 10);
        api.asyncQueue.dead("d1", 3, new Result(500, 5, new byte[0], "boom"));
        api.asyncQueue.dead("d2", 3, new Result(500, 5, new byte[0], "boom"));
        JsonNode dead = json(api.get(P + "/functions/hello/dead-letters")).get("deadLetters");
        assertEquals(2, dead.size());
        assertEquals("boom", dead.get(0).get("lastError").asText());
        assertEquals("dead", dead.get(0).get("state").asText());
        String redrive = P + "/functions/hello/dead-letters/redrive";
        assertEquals(400, api.send("POST", redrive, "").statusCode());
        assertEquals(404, api.send("POST", redrive, "{\"id\":\"nope\"}").statusCode());
        assertEquals(1, json(api.send("POST", redrive, "{\"id\":\"d1\"}")).get("redriven").asInt());
        assertEquals("queued", json(api.get(P + "/invocations/d1")).get("async").get("state").asText());
        assertEquals(1, json(api.send("POST", redrive, "{\"all\":true}")).get("redriven").asInt());
        assertEquals(0, json(api.get(P + "/functions/hello/dead-letters")).get("deadLetters").size());
    }
}
