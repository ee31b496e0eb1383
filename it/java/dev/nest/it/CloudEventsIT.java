package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CloudEvents 1.0 over HTTP into a function's URL, sent with the CloudEvents Java SDK in binary, structured and
 * batched mode (the batch is the SDK's JSON format of each event in an array): the function receives the events in
 * the JSON format with their attributes and data, a repeated {@code source}+{@code id} is dropped (but not the retry of
 * one whose call failed), a malformed event is refused with 400, and an async event carries the same shape.
 */
class CloudEventsIT {
    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(CloudEventsIT::writeFunctions);
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        Fixtures.nodeFunction(functions, "events", "", """
                exports.handler = async (event) => ({
                  mode: event.headers['x-cloudevents-mode'] || 'none',
                  type: event.headers['content-type'] || '',
                  events: JSON.parse(event.body) });
                """);
        // fails the first delivery of each event, as a function whose dependency is briefly down
        Fixtures.nodeFunction(functions, "flaky", "", """
                const failed = new Set();
                exports.handler = async (event) => {
                  const id = JSON.parse(event.body).id;
                  if (!failed.has(id)) { failed.add(id); return { statusCode: 503, body: 'try again' }; }
                  return { ran: id };
                };
                """);
    }

    private static CloudEvent event(String id, String data) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/it/orders")).withType("order.created")
                .withTime(OffsetDateTime.parse("2026-01-02T03:04:05Z")).withSubject("order-" + id)
                .withExtension("tenant", "acme")
                .withData("application/json", data.getBytes(StandardCharsets.UTF_8)).build();
    }

    /** The request the SDK writes for {@code e}: binary mode, or structured in the JSON format. */
    private static HttpRequest.Builder sdk(CloudEvent e, boolean structured) {
        return sdk("/fn/events", e, structured);
    }

    private static HttpRequest.Builder sdk(String path, CloudEvent e, boolean structured) {
        HttpRequest.Builder b = http.request(path);
        byte[][] body = new byte[1][];
        var writer = HttpMessageFactory.createWriter(b::header, bytes -> body[0] = bytes);
        if (structured) {
            writer.writeStructured(e, new JsonFormat());
        } else {
            writer.writeBinary(e);
        }
        return b.POST(HttpRequest.BodyPublishers.ofByteArray(body[0] == null ? new byte[0] : body[0]));
    }

    private static JsonNode answer(Http.Response r) {
        assertEquals(200, r.status(), r::toString);
        return r.json();
    }

    @Test
    void binaryMode() {
        String id = UUID.randomUUID().toString();
        JsonNode r = answer(http.send(sdk(event(id, "{\"total\":12}"), false)));
        assertEquals("binary", r.path("mode").asText());
        assertEquals("application/cloudevents+json", r.path("type").asText());
        JsonNode e = r.path("events");
        assertEquals(id, e.path("id").asText());
        assertEquals("/it/orders", e.path("source").asText());
        assertEquals("order.created", e.path("type").asText());
        assertEquals("order-" + id, e.path("subject").asText());
        assertEquals("acme", e.path("tenant").asText());
        assertEquals("1.0", e.path("specversion").asText());
        assertEquals(12, e.path("data").path("total").asInt(), e.toString());
        assertTrue(e.path("time").asText().startsWith("2026-01-02T03:04:05"), e.toString());
    }

    @Test
    void structuredMode() {
        String id = UUID.randomUUID().toString();
        JsonNode r = answer(http.send(sdk(event(id, "{\"total\":7}"), true)));
        assertEquals("structured", r.path("mode").asText());
        assertEquals(id, r.path("events").path("id").asText());
        assertEquals(7, r.path("events").path("data").path("total").asInt());
        assertEquals("acme", r.path("events").path("tenant").asText());
    }

    @Test
    void batchedMode() {
        JsonFormat format = new JsonFormat();
        String a = UUID.randomUUID().toString();
        String b = UUID.randomUUID().toString();
        String batch = "[" + new String(format.serialize(event(a, "{\"n\":1}")), StandardCharsets.UTF_8) + ","
                + new String(format.serialize(event(b, "{\"n\":2}")), StandardCharsets.UTF_8) + "]";
        JsonNode r = answer(http.post("/fn/events", "application/cloudevents-batch+json",
                batch.getBytes(StandardCharsets.UTF_8)));
        assertEquals("batch", r.path("mode").asText());
        assertEquals(2, r.path("events").size());
        assertEquals(a, r.path("events").get(0).path("id").asText());
        assertEquals(2, r.path("events").get(1).path("data").path("n").asInt());
        // sent again with one new event: only the new one reaches the function
        String c = UUID.randomUUID().toString();
        String again = batch.substring(0, batch.length() - 1) + ","
                + new String(format.serialize(event(c, "{\"n\":3}")), StandardCharsets.UTF_8) + "]";
        JsonNode r2 = answer(http.post("/fn/events", "application/cloudevents-batch+json",
                again.getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, r2.path("events").size(), r2.toString());
        assertEquals(c, r2.path("events").get(0).path("id").asText());
    }

    @Test
    void aRepeatedSourceAndIdIsDropped() {
        CloudEvent e = event(UUID.randomUUID().toString(), "{}");
        answer(http.send(sdk(e, false)));
        Http.Response dup = http.send(sdk(e, true)); // the same event, now in structured mode
        assertEquals(200, dup.status(), dup.toString());
        assertEquals("true", dup.header("x-nest-cloudevents-duplicate").orElse(""));
        assertTrue(dup.json().path("duplicate").asBoolean(), dup.toString());
    }

    @Test
    void theRetryOfAnEventWhoseCallFailedIsTakenNotDropped() {
        CloudEvent e = event(UUID.randomUUID().toString(), "{}");
        Http.Response failed = http.send(sdk("/fn/flaky", e, false));
        assertEquals(503, failed.status(), failed.toString());
        JsonNode r = answer(http.send(sdk("/fn/flaky", e, false)));
        assertEquals(e.getId(), r.path("ran").asText(), r.toString());
        // taken once: a third copy is the duplicate
        assertEquals("true", http.send(sdk("/fn/flaky", e, true)).header("x-nest-cloudevents-duplicate").orElse(""));
    }

    @Test
    void aMalformedEventIsRefused() {
        Http.Response r = http.send(http.request("/fn/events").header("ce-specversion", "1.0").header("ce-id", "x")
                .header("ce-type", "t").POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(400, r.status(), r.toString());
        assertTrue(r.text().contains("'source' is required"), r.text());
    }

    @Test
    void anAsyncEventKeepsItsShape() {
        String id = UUID.randomUUID().toString();
        Http.Response accepted = http.send(sdk(event(id, "{\"late\":true}"), false).header("X-Nest-Invocation-Type", "async"));
        assertEquals(202, accepted.status(), accepted.toString());
        String invocation = accepted.json().path("invocationId").asText();
        JsonNode done = Poll.until("the async event delivered", Duration.ofSeconds(60),
                () -> http.get("/api/v1/invocations/" + invocation).json().path("async"),
                a -> a.path("state").asText().equals("succeeded"));
        assertTrue(done.path("result").asText().contains(id), done.toString());
        assertTrue(done.path("result").asText().contains("\"late\":true"), done.toString());
    }
}
