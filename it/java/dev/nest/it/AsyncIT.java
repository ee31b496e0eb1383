package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Async invocations on one in-process node: 202 once stored, delivered through the gateway with the caller's
 * {@code traceparent}, the ledger, idempotency keys, dead letters and redrive, destinations.
 *
 * <p>Also: a token function's event is checked when it is accepted (401 without a token) and delivered without the
 * token or the delivery marker. Restart durability (events a stopped process left are due again) is covered by
 * {@code H2EventQueueTest}.
 */
class AsyncIT {
    private static final String P = "/api/v1";

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(AsyncIT::writeFunctions);
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        Fixtures.nodeFunction(functions, "echo", "async:\n  on-success: sink\n", """
                exports.handler = async (event) => ({ trace: event.headers.traceparent || '', body: event.body });
                """);
        Fixtures.nodeFunction(functions, "sink", "", """
                exports.handler = async (event) => ({ ok: true });
                """);
        Fixtures.nodeFunction(functions, "failing", "async:\n  retries: 1\n", """
                exports.handler = async () => { throw new Error('always fails'); };
                """);
        Fixtures.nodeFunction(functions, "once", "", """
                exports.handler = async (event) => ({ body: event.body });
                """);
        Fixtures.nodeFunction(functions, "closed", "auth: token\n", """
                exports.handler = async (event) => ({ auth: event.headers.authorization || 'none',
                    delivery: event.headers['x-nest-async-delivery'] || 'none' });
                """);
    }

    private static Http.Response invokeAsync(String function, String body, String... headers) {
        HttpRequest.Builder b = http.request("/fn/" + function).header("X-Nest-Invocation-Type", "async")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b);
    }

    private static JsonNode awaitState(String id, String state) {
        return Poll.until("invocation " + id + " " + state, Duration.ofSeconds(60),
                () -> http.get(P + "/invocations/" + id).json().path("async"),
                a -> a.path("state").asText().equals(state));
    }

    @Test
    void acceptedAfterStoringThenDeliveredWithItsTraceparent() {
        Http.Response r = invokeAsync("echo", "hello", "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertEquals(202, r.status(), r.text());
        String id = r.json().get("invocationId").asText();
        assertEquals("/api/v1/invocations/" + id, r.header("location").orElseThrow());
        JsonNode done = awaitState(id, "succeeded");
        assertEquals(200, done.get("status").asInt());
        assertTrue(done.get("result").asText().contains("0af7651916cd43dd8448eb211c80319c"), done.toString());
        JsonNode record = http.get(P + "/invocations/" + id).json().get("invocation");
        assertEquals(id, record.get("id").asText(), "the delivery is recorded under the async invocation's id");
    }

    @Test
    void aRepeatedIdempotencyKeyGivesTheFirstIdAndRunsOnce() {
        String first = invokeAsync("once", "a", "Idempotency-Key", "order-42").json().get("invocationId").asText();
        Http.Response again = invokeAsync("once", "b", "Idempotency-Key", "order-42");
        assertEquals(202, again.status());
        assertEquals(first, again.json().get("invocationId").asText());
        JsonNode done = awaitState(first, "succeeded");
        assertTrue(done.get("result").asText().contains("\"a\""), done.toString());
        // a later event of the same function is delivered after the first; by then a duplicate would have run too
        String later = invokeAsync("once", "c").json().get("invocationId").asText();
        awaitState(later, "succeeded");
        JsonNode list = http.get(P + "/invocations?function=once").json().get("invocations");
        assertEquals(1, list.findValuesAsText("id").stream().filter(first::equals).count(), list.toString());
        assertEquals(2, list.size(), "the keyed event ran once, the later one once: " + list);
    }

    @Test
    void aTokenFunctionsEventIsCheckedWhenAcceptedAndDeliveredWithoutTheToken() {
        Http.Response anonymous = invokeAsync("closed", "{}");
        assertEquals(401, anonymous.status(), anonymous.text());
        String token = http.token().orElseThrow();
        Http.Response ok = invokeAsync("closed", "{}", "Authorization", "Bearer " + token);
        assertEquals(202, ok.status(), ok.text());
        JsonNode done = awaitState(ok.json().get("invocationId").asText(), "succeeded");
        String result = done.get("result").asText();
        assertTrue(result.contains("\"auth\":\"none\"") && result.contains("\"delivery\":\"none\""),
                "neither the token nor the delivery marker reaches the function: " + result);
    }

    @Test
    void aPayloadOverTheLimitIs413() {
        Http.Response r = invokeAsync("echo", "x".repeat(1024 * 1024 + 1));
        assertEquals(413, r.status(), r.text());
    }

    @Test
    void aFailureAfterItsRetriesBecomesADeadLetterThatCanBeRedriven() {
        String id = invokeAsync("failing", "{}").json().get("invocationId").asText();
        JsonNode dead = awaitState(id, "dead");
        assertEquals(2, dead.get("attempt").asInt(), "retries: 1 is two attempts: " + dead);
        assertTrue(dead.get("lastError").asText().contains("500"), dead.toString());
        JsonNode letters = http.get(P + "/functions/failing/dead-letters").json().get("deadLetters");
        assertTrue(letters.findValuesAsText("id").contains(id), letters.toString());
        Http.Response redriven = http.postJson(P + "/functions/failing/dead-letters/redrive", Map.of("id", id));
        assertEquals(200, redriven.status(), redriven.text());
        assertEquals(1, redriven.json().get("redriven").asInt());
        // sent again: tried twice more, then dead again
        JsonNode again = Poll.until("invocation " + id + " dead again", Duration.ofSeconds(60),
                () -> http.get(P + "/invocations/" + id).json().path("async"),
                a -> a.path("state").asText().equals("dead") && Instant.parse(a.path("enqueuedAt").asText())
                        .isAfter(Instant.parse(dead.path("enqueuedAt").asText())));
        assertEquals(2, again.get("attempt").asInt(), again.toString());
        assertEquals(404, http.postJson(P + "/functions/failing/dead-letters/redrive", Map.of("id", "no-such-id"))
                .status());
    }

    @Test
    void sinkGetsARecordOfEachSuccess() {
        String id = invokeAsync("echo", "to-sink").json().get("invocationId").asText();
        awaitState(id, "succeeded");
        Poll.until("a sink invocation", Duration.ofSeconds(60),
                () -> http.get(P + "/invocations?function=sink").json().get("invocations"),
                list -> list.size() > 0);
        assertTrue(new String(http.get(P + "/invocations/" + id).body(), StandardCharsets.UTF_8).contains(id));
    }
}
