package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EventIngressTest {
    private static final FunctionSpec SPEC = new FunctionSpec(FunctionId.of("default", "f"), "nodejs", "", 128,
            Duration.ofSeconds(30), 1, Map.of(), ScalingSpec.DEFAULT, QueueSpec.DEFAULT);
    private final AtomicLong nanos = new AtomicLong();
    private final EventIngress ingress = new EventIngress(h -> h.contains("secret"), nanos::get);

    private record Result(EventIngress.Outcome outcome, List<String> headers, byte[] body) {
        JsonNode json() {
            try {
                return Json.mapper().readTree(body);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        String header(String name) {
            return CloudEvents.header(headers, name).orElse("");
        }
    }

    private Result admit(FunctionSpec spec, boolean delivery, String body, String... headers) {
        List<String> h = new ArrayList<>(Arrays.asList(headers));
        byte[][] b = {body.getBytes(StandardCharsets.UTF_8)};
        EventIngress.Outcome o = ingress.admit(FunctionId.of("default", "f"), spec, delivery, h, b);
        return new Result(o, h, b[0]);
    }

    @Test
    void binaryModeBecomesAStructuredEvent() {
        Result r = admit(SPEC, false, "{\"order\":42}", "ce-specversion", "1.0", "ce-id", "A-1", "ce-source",
                "/shop", "ce-type", "order.created", "ce-traceid", "x%20y", "content-type", "application/json");
        assertInstanceOf(EventIngress.Outcome.Proceed.class, r.outcome());
        assertEquals("application/cloudevents+json", r.header("content-type"));
        assertEquals("binary", r.header(EventIngress.MODE_HEADER));
        assertEquals("", r.header("ce-id"));
        JsonNode e = r.json();
        assertEquals("A-1", e.path("id").asText());
        assertEquals("order.created", e.path("type").asText());
        assertEquals("x y", e.path("traceid").asText());
        assertEquals(42, e.path("data").path("order").asInt());
        assertEquals("application/json", e.path("datacontenttype").asText());
    }

    @Test
    void aCloudEventsValidTraceparentContinuesItsTraceUnlessTheRequestHasOne() {
        String tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        Result binary = admit(SPEC, false, "", "ce-specversion", "1.0", "ce-id", "t-1", "ce-source", "/s", "ce-type", "t",
                "ce-traceparent", tp);
        assertEquals(tp, binary.header("traceparent"));
        Result structured = admit(SPEC, false, "{\"specversion\":\"1.0\",\"id\":\"t-2\",\"source\":\"/s\","
                + "\"type\":\"t\",\"traceparent\":\"" + tp + "\"}", "content-type", "application/cloudevents+json");
        assertEquals(tp, structured.header("traceparent"));
        String own = "00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assertEquals(own, admit(SPEC, false, "", "ce-specversion", "1.0", "ce-id", "t-3", "ce-source", "/s",
                "ce-type", "t", "ce-traceparent", tp, "traceparent", own).header("traceparent"), "the request's own wins");
        assertEquals("", admit(SPEC, false, "", "ce-specversion", "1.0", "ce-id", "t-4", "ce-source", "/s",
                "ce-type", "t", "ce-traceparent", "00-zz-bad-01").header("traceparent"), "a malformed one is ignored");
    }

    @Test
    void binaryDataThatIsNotTextTravelsInBase64() {
        Result r = admit(SPEC, false, "\u0001\u0002", "ce-specversion", "1.0", "ce-id", "b", "ce-source", "/s",
                "ce-type", "t", "content-type", "application/octet-stream");
        assertEquals("AQI=", r.json().path("data_base64").asText());
    }

    @Test
    void structuredAndBatchedModesAreChecked() {
        Result s = admit(SPEC, false, "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"data\":\"hi\"}",
                "content-type", "application/cloudevents+json; charset=utf-8");
        assertEquals("structured", s.header(EventIngress.MODE_HEADER));
        assertEquals("hi", s.json().path("data").asText());
        Result b = admit(SPEC, false, "[{\"specversion\":\"1.0\",\"id\":\"2\",\"source\":\"/s\",\"type\":\"t\"},"
                + "{\"specversion\":\"1.0\",\"id\":\"3\",\"source\":\"/s\",\"type\":\"t\"}]",
                "content-type", "application/cloudevents-batch+json");
        assertEquals("application/cloudevents-batch+json", b.header("content-type"));
        assertEquals(2, b.json().size());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}", CloudEvents.STRUCTURED,
                        "attribute 'id' is required"),
                Arguments.of("{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}", CloudEvents.STRUCTURED,
                        "specversion '0.3' is not supported"),
                Arguments.of("not json", CloudEvents.STRUCTURED, "in JSON"),
                Arguments.of("{\"a\":1}", CloudEvents.BATCH, "must be a JSON array"),
                Arguments.of("[1]", CloudEvents.BATCH, "event [0] of the batch must be a JSON object"),
                Arguments.of("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"Bad-Name\":1}",
                        CloudEvents.STRUCTURED, "'Bad-Name' is not a valid name"));
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("invalid")
    void malformedEventsAre400WithTheReason(String body, String contentType, String message) {
        Result r = admit(SPEC, false, body, "content-type", contentType);
        EventIngress.Outcome.Answer a = assertInstanceOf(EventIngress.Outcome.Answer.class, r.outcome());
        assertEquals(400, a.status());
        assertTrue(a.detail().contains(message), a.detail());
    }

    @Test
    void binaryModeWithoutTheRequiredHeadersIs400() {
        Result r = admit(SPEC, false, "", "ce-specversion", "1.0", "ce-id", "1");
        assertEquals(400, assertInstanceOf(EventIngress.Outcome.Answer.class, r.outcome()).status());
    }

    @Test
    void duplicatesWithinTheWindowAreDroppedThenForgotten() {
        String[] h = {"ce-specversion", "1.0", "ce-id", "7", "ce-source", "/s", "ce-type", "t"};
        assertInstanceOf(EventIngress.Outcome.Proceed.class, admit(SPEC, false, "", h).outcome());
        EventIngress.Outcome.Answer dup = assertInstanceOf(EventIngress.Outcome.Answer.class, admit(SPEC, false, "", h).outcome());
        assertEquals(200, dup.status());
        assertEquals(List.of(EventIngress.DUPLICATE_HEADER, "true"), dup.headers());
        // another source with the same id is another event
        assertInstanceOf(EventIngress.Outcome.Proceed.class, admit(SPEC, false, "", "ce-specversion", "1.0", "ce-id",
                "7", "ce-source", "/other", "ce-type", "t").outcome());
        // in a batch, only the new ones go on
        Result b = admit(SPEC, false, "[{\"specversion\":\"1.0\",\"id\":\"7\",\"source\":\"/s\",\"type\":\"t\"},"
                + "{\"specversion\":\"1.0\",\"id\":\"8\",\"source\":\"/s\",\"type\":\"t\"}]", "content-type", CloudEvents.BATCH);
        assertEquals(1, b.json().size());
        assertEquals("8", b.json().get(0).path("id").asText());
        nanos.addAndGet(EventIngress.WINDOW.toNanos() + 1);
        assertInstanceOf(EventIngress.Outcome.Proceed.class, admit(SPEC, false, "", h).outcome());
    }

    @Test
    void eventsOfARequestThatFailedOrWasRefusedAreForgottenSoTheRetryIsTaken() {
        String[] h = {"ce-specversion", "1.0", "ce-id", "9", "ce-source", "/s", "ce-type", "t"};
        EventIngress.Outcome.Proceed first = assertInstanceOf(EventIngress.Outcome.Proceed.class,
                admit(SPEC, false, "", h).outcome());
        assertEquals(1, first.remembered().size());
        // the call failed (429 or 5xx): the sender's retry is a new attempt, not a duplicate
        ingress.forget(first.remembered());
        EventIngress.Outcome.Proceed retry = assertInstanceOf(EventIngress.Outcome.Proceed.class,
                admit(SPEC, false, "", h).outcome());
        // it succeeded: the next copy is a duplicate
        assertInstanceOf(EventIngress.Outcome.Answer.class, admit(SPEC, false, "", h).outcome());
        assertEquals(first.remembered(), retry.remembered());
        // a batch remembers only the events it takes; a request without events remembers nothing
        Result b = admit(SPEC, false, "[{\"specversion\":\"1.0\",\"id\":\"9\",\"source\":\"/s\",\"type\":\"t\"},"
                + "{\"specversion\":\"1.0\",\"id\":\"10\",\"source\":\"/s\",\"type\":\"t\"}]", "content-type", CloudEvents.BATCH);
        assertEquals(1, assertInstanceOf(EventIngress.Outcome.Proceed.class, b.outcome()).remembered().size());
        assertEquals(List.of(), assertInstanceOf(EventIngress.Outcome.Proceed.class,
                admit(SPEC, false, "{}", "content-type", "application/json").outcome()).remembered());
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {200, 202, 204, 301, 400, 404, 409, 413, 429, 500, 502, 503, 504})
    void onlyRefusalsAndServerErrorsAskForARetry(int status) {
        assertEquals(status == 429 || status >= 500, EventIngress.retryable(status));
    }

    @Test
    void aBatchOverTheLimitIs413AndOneAtTheLimitGoesOn() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < CloudEvents.MAX_BATCH; i++) {
            b.append(i == 0 ? "" : ",").append("{\"specversion\":\"1.0\",\"id\":\"").append(i)
                    .append("\",\"source\":\"/s\",\"type\":\"t\"}");
        }
        Result atLimit = admit(SPEC, false, b + "]", "content-type", CloudEvents.BATCH);
        assertInstanceOf(EventIngress.Outcome.Proceed.class, atLimit.outcome());
        assertEquals(CloudEvents.MAX_BATCH, atLimit.json().size());
        Result over = admit(SPEC, false, b + ",{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\",\"type\":\"t\"}]",
                "content-type", CloudEvents.BATCH);
        EventIngress.Outcome.Answer a = assertInstanceOf(EventIngress.Outcome.Answer.class, over.outcome());
        assertEquals(413, a.status());
        assertTrue(a.detail().contains("at most " + CloudEvents.MAX_BATCH + " events"), a.detail());
    }

    @Test
    void anEmptyBatchInvokesNothingAndIsNoDuplicate() {
        EventIngress.Outcome.Answer a = assertInstanceOf(EventIngress.Outcome.Answer.class,
                admit(SPEC, false, "[]", "content-type", CloudEvents.BATCH).outcome());
        assertEquals(200, a.status());
        assertEquals("{\"events\":0}", new String(a.body(), StandardCharsets.UTF_8));
        assertEquals(List.of(), a.headers());
    }

    @Test
    void brokenBatchesAndOtherFormatsSayWhatIsWrong() {
        for (String[] c : new String[][] {{"[{\"specversion\":\"1.0\"", "400", "in JSON"},
                {"[] []", "400", "more after the array"}, {"", "400", "empty"}}) {
            EventIngress.Outcome.Answer a = assertInstanceOf(EventIngress.Outcome.Answer.class,
                    admit(SPEC, false, c[0], "content-type", CloudEvents.BATCH).outcome(), c[0]);
            assertEquals(Integer.parseInt(c[1]), a.status(), c[0]);
            assertTrue(a.detail().contains(c[2]), a.detail());
        }
        EventIngress.Outcome.Answer avro = assertInstanceOf(EventIngress.Outcome.Answer.class,
                admit(SPEC, false, "xx", "content-type", "application/cloudevents+avro").outcome());
        assertEquals(415, avro.status());
        assertTrue(avro.detail().contains("does not read"), avro.detail());
    }

    @Test
    void duplicateKeysHaveAFixedSizeAndDoNotCollideAcrossFields() {
        String huge = "i".repeat(1 << 20);
        assertEquals(EventIngress.key("default/f", "/s", "1").length(), EventIngress.key("default/f", "/s", huge).length());
        assertFalse(EventIngress.key("default/f", "a\nb", "c").equals(EventIngress.key("default/f", "a", "b\nc")));
        String body = "{\"specversion\":\"1.0\",\"id\":\"" + huge + "\",\"source\":\"/s\",\"type\":\"t\"}";
        assertInstanceOf(EventIngress.Outcome.Proceed.class, admit(SPEC, false, body, "content-type",
                CloudEvents.STRUCTURED).outcome());
        EventIngress.Outcome.Answer dup = assertInstanceOf(EventIngress.Outcome.Answer.class, admit(SPEC, false, body,
                "content-type", CloudEvents.STRUCTURED).outcome());
        assertTrue(dup.detail().length() < 500, "the answer does not echo a megabyte id");
    }

    @Test
    void theWindowIsBounded() {
        for (int i = 0; i < EventIngress.CAPACITY + 10; i++) {
            admit(SPEC, false, "", "ce-specversion", "1.0", "ce-id", "id" + i, "ce-source", "/s", "ce-type", "t");
        }
        assertTrue(ingress.remembered() <= EventIngress.CAPACITY, String.valueOf(ingress.remembered()));
    }

    @Test
    void eventOnlyFunctionsAnswer404ButToTheirTriggers() {
        FunctionSpec eventOnly = SPEC.withTriggers(List.of(), false);
        EventIngress.Outcome.Answer a = assertInstanceOf(EventIngress.Outcome.Answer.class,
                admit(eventOnly, false, "").outcome());
        assertEquals(404, a.status());
        assertTrue(a.detail().contains("event-only"), a.detail());
        assertInstanceOf(EventIngress.Outcome.Proceed.class, admit(eventOnly, true, "").outcome());
        Result call = admit(eventOnly, false, "", "x-nest-trigger-call", "secret");
        assertInstanceOf(EventIngress.Outcome.Proceed.class, call.outcome());
        assertEquals("", call.header("x-nest-trigger-call")); // removed before the function sees it
    }

    @Test
    void plainRequestsPassUntouched() {
        Result r = admit(SPEC, false, "hello", "content-type", "text/plain");
        assertInstanceOf(EventIngress.Outcome.Proceed.class, r.outcome());
        assertEquals("hello", new String(r.body(), StandardCharsets.UTF_8));
        assertFalse(r.headers().contains(EventIngress.MODE_HEADER));
    }
}
