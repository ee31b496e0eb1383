package dev.nest.it.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.NestServerExtension;
import dev.nest.it.Poll;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Async invocations through Kafka ({@code async.queue: kafka}, the plugin loaded from {@code target/plugins}) on
 * one in-process node against the brokers of {@code distribution/kafka.sh}: 202 once Kafka acknowledged, the run
 * and its ledger entry, an idempotency key, retries to a dead letter and its redrive, and the plugin in
 * {@code /health}.
 */
class KafkaAsyncIT {
    private static final String P = "/api/v1";

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node()
            .requires(dev.nest.it.Engines::requireNode).requires(() -> KafkaBrokers.require(1))
            .settings(KafkaBrokers.nestYaml("nest-it-" + Long.toHexString(System.nanoTime())))
            .functions(KafkaAsyncIT::writeFunctions);
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        Fixtures.nodeFunction(functions, "echo", "", """
                exports.handler = async (event) => ({ trace: event.headers.traceparent || '', body: event.body });
                """);
        Fixtures.nodeFunction(functions, "failing", "async:\n  retries: 1\n", """
                exports.handler = async () => { throw new Error('always fails'); };
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
        return Poll.until("invocation " + id + " " + state, Duration.ofSeconds(90),
                () -> http.get(P + "/invocations/" + id).json().path("async"),
                a -> a.path("state").asText().equals(state));
    }

    @Test
    void theKafkaPluginIsLoadedAndShownInHealth() {
        JsonNode plugins = http.get("/health").json().get("plugins");
        assertTrue(plugins.toString().contains("\"name\":\"kafka\"") && plugins.toString().contains("\"state\":\"loaded\"")
                && plugins.toString().contains("dev.nest.async.EventQueueProvider"), plugins.toString());
    }

    @Test
    void acceptedOnceKafkaHasItThenRunWithItsTraceparent() {
        Http.Response r = invokeAsync("echo", "hello", "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertEquals(202, r.status(), r.text());
        String id = r.json().get("invocationId").asText();
        assertEquals("/api/v1/invocations/" + id, r.header("location").orElseThrow());
        JsonNode done = awaitState(id, "succeeded");
        assertEquals(200, done.get("status").asInt());
        assertTrue(done.get("result").asText().contains("0af7651916cd43dd8448eb211c80319c"), done.toString());
    }

    @Test
    void aRepeatedIdempotencyKeyGivesTheFirstId() {
        String first = invokeAsync("echo", "a", "Idempotency-Key", "order-7").json().get("invocationId").asText();
        Http.Response again = invokeAsync("echo", "b", "Idempotency-Key", "order-7");
        assertEquals(202, again.status(), again.text());
        assertEquals(first, again.json().get("invocationId").asText());
        assertTrue(awaitState(first, "succeeded").get("result").asText().contains("\"a\""));
    }

    @Test
    void retriesEndInADeadLetterThatCanBeRedriven() {
        String id = invokeAsync("failing", "{}").json().get("invocationId").asText();
        JsonNode dead = awaitState(id, "dead");
        assertEquals(2, dead.get("attempt").asInt(), "retries: 1 is two attempts: " + dead);
        assertTrue(dead.get("lastError").asText().contains("500"), dead.toString());
        JsonNode letters = http.get(P + "/functions/failing/dead-letters").json().get("deadLetters");
        assertTrue(letters.findValuesAsText("id").contains(id), letters.toString());
        Http.Response redriven = http.postJson(P + "/functions/failing/dead-letters/redrive", Map.of("id", id));
        assertEquals(200, redriven.status(), redriven.text());
        assertEquals(1, redriven.json().get("redriven").asInt());
        JsonNode again = Poll.until("invocation " + id + " dead again", Duration.ofSeconds(90),
                () -> http.get(P + "/invocations/" + id).json().path("async"),
                a -> a.path("state").asText().equals("dead") && Instant.parse(a.path("enqueuedAt").asText())
                        .isAfter(Instant.parse(dead.path("enqueuedAt").asText())));
        assertEquals(2, again.get("attempt").asInt(), again.toString());
    }
}
