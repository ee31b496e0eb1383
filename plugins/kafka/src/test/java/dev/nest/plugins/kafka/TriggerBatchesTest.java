package dev.nest.plugins.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nest.plugins.kafka.TriggerBatches.Outcome;
import dev.nest.trigger.InvocationSink;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TriggerBatchesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static TriggerRecord rec(int partition, long offset, String value) {
        return new TriggerRecord("orders", partition, offset, 1_000L + offset, Optional.of(("k" + offset).getBytes()),
                Optional.of(value.getBytes(StandardCharsets.UTF_8)), List.of());
    }

    @Test
    void textStaysTextAndBinaryIsBase64WithAFlag() throws Exception {
        byte[] binary = {(byte) 0xff, 0x00, (byte) 0xc3};
        TriggerRecord r = new TriggerRecord("orders", 2, 7, 99, Optional.empty(), Optional.of(binary),
                List.of(new TriggerRecord.Header("trace", "abc".getBytes()), new TriggerRecord.Header("bin", binary)));
        JsonNode body = JSON.readTree(TriggerBatches.encode("in", "orders", List.of(rec(0, 1, "héllo"), r)));
        assertEquals("kafka", body.get("source").asText());
        assertEquals("in", body.get("trigger").asText());
        JsonNode first = body.get("records").get(0);
        assertEquals("héllo", first.get("value").asText());
        assertEquals("k1", first.get("key").asText());
        assertFalse(first.has("valueBase64"));
        JsonNode second = body.get("records").get(1);
        assertTrue(second.get("key").isNull());
        assertEquals(Base64.getEncoder().encodeToString(binary), second.get("value").asText());
        assertTrue(second.get("valueBase64").asBoolean());
        assertEquals(2, second.get("partition").asInt());
        assertEquals(7, second.get("offset").asLong());
        assertEquals(99, second.get("timestamp").asLong());
        assertEquals("trace", second.get("headers").get(0).get("name").asText());
        assertEquals("abc", second.get("headers").get(0).get("value").asText());
        assertTrue(second.get("headers").get(1).get("base64").asBoolean());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "200|{\"ok\":true}|Ok",
            "200|not json|Ok",
            "204||Ok",
            "200|{\"batchItemFailures\":[]}|Ok",
            "200|{\"batchItemFailures\":[{\"offset\":99}]}|Ok",
            "500|boom|Failed",
            "404|gone|Failed",
            "504||Failed",
            "429||Transient",
            "503||Transient",
            "401||Transient",
            "403||Transient",
            "400|bad|Failed",
    })
    void answersMapToOutcomes(int status, String body, String kind) {
        Outcome o = TriggerBatches.decode(new InvocationSink.Response(status,
                body == null ? new byte[0] : body.getBytes()), List.of(rec(0, 1, "a"), rec(0, 2, "b")));
        assertEquals(kind, o.getClass().getSimpleName());
    }

    @Test
    void itemFailuresNameRecordsByOffsetAndPartition() {
        List<TriggerRecord> batch = List.of(rec(0, 5, "a"), rec(1, 5, "b"), rec(1, 6, "c"));
        Outcome both = TriggerBatches.decode(new InvocationSink.Response(200,
                "{\"batchItemFailures\":[{\"offset\":5}]}".getBytes()), batch);
        assertEquals(List.of(batch.get(0), batch.get(1)), assertInstanceOf(Outcome.ItemFailures.class, both).failed());
        Outcome one = TriggerBatches.decode(new InvocationSink.Response(200,
                "{\"batchItemFailures\":[{\"partition\":1,\"offset\":\"6\"}]}".getBytes()), batch);
        assertEquals(List.of(batch.get(2)), assertInstanceOf(Outcome.ItemFailures.class, one).failed());
    }

    private static TriggerRecord withHeaders(byte[] value, String... headers) {
        List<TriggerRecord.Header> hs = new java.util.ArrayList<>();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            hs.add(new TriggerRecord.Header(headers[i], headers[i + 1].getBytes(StandardCharsets.UTF_8)));
        }
        return new TriggerRecord("orders", 0, 1, 5, Optional.empty(), Optional.of(value), hs);
    }

    @Test
    void aRecordWithCloudEventsHeadersIsHandedOverAsACloudEvent() {
        TriggerRecord binary = withHeaders("{\"n\":1}".getBytes(), "ce_specversion", "1.0", "ce_id", "e1",
                "ce_source", "/shop", "ce_type", "order.created", "ce_subject", "o-9", "content-type", "application/json");
        JsonNode ce = TriggerBatches.cloudEvent(binary).orElseThrow();
        assertEquals("e1", ce.get("id").asText());
        assertEquals("o-9", ce.get("subject").asText());
        assertEquals("application/json", ce.get("datacontenttype").asText());
        assertEquals(1, ce.get("data").get("n").asInt());
        TriggerRecord raw = withHeaders(new byte[]{(byte) 0xff}, "ce_specversion", "1.0", "ce_id", "e2", "ce_source",
                "/s", "ce_type", "t");
        assertEquals("/w==", TriggerBatches.cloudEvent(raw).orElseThrow().get("data_base64").asText());
        TriggerRecord structured = withHeaders(("{\"specversion\":\"1.0\",\"id\":\"e3\",\"source\":\"/s\","
                + "\"type\":\"t\",\"data\":\"x\"}").getBytes(), "content-type", "application/cloudevents+json");
        assertEquals("e3", TriggerBatches.cloudEvent(structured).orElseThrow().get("id").asText());
    }

    @Test
    void aRecordLackingARequiredAttributeIsNoCloudEvent() {
        assertTrue(TriggerBatches.cloudEvent(withHeaders("x".getBytes(), "ce_specversion", "1.0", "ce_id", "e1",
                "ce_source", "/s")).isEmpty());
        assertTrue(TriggerBatches.cloudEvent(withHeaders("{}".getBytes(), "content-type",
                "application/cloudevents+json")).isEmpty());
        assertTrue(TriggerBatches.cloudEvent(rec(0, 1, "plain")).isEmpty());
    }

    @Test
    void batchesAreCutByCountAndByBytesButTakeAtLeastOneRecord() {
        record Case(List<Integer> valueSizes, int batchSize, long maxBytes, int taken, boolean full) {
        }
        for (Case c : List.of(
                new Case(List.of(), 100, 1000, 0, false),
                new Case(List.of(10, 10, 10), 2, 1000, 2, true),
                new Case(List.of(10, 10, 10), 100, 1000, 3, false),
                new Case(List.of(400, 400, 400), 100, 1000, 2, true),
                new Case(List.of(5000, 10), 100, 1000, 1, true),
                new Case(List.of(10, 5000), 100, 1000, 1, true))) {
            List<TriggerRecord> held = new java.util.ArrayList<>();
            for (int i = 0; i < c.valueSizes().size(); i++) {
                held.add(new TriggerRecord("t", 0, i, 0, Optional.empty(),
                        Optional.of(new byte[c.valueSizes().get(i)]), List.of()));
            }
            assertEquals(c.taken(), TriggerBatches.take(held, c.batchSize(), c.maxBytes()), c.toString());
            assertEquals(c.full(), TriggerBatches.full(held, c.batchSize(), c.maxBytes()), c.toString());
        }
        TriggerRecord withHeaders = new TriggerRecord("t", 0, 0, 0, Optional.of(new byte[3]), Optional.empty(),
                List.of(new TriggerRecord.Header("ab", new byte[5])));
        assertEquals(10, TriggerBatches.size(withHeaders));
        assertTrue(TriggerBatches.MAX_BATCH_BYTES * 4 / 3 < 6L * 1024 * 1024, "base64 of a full batch fits 6 MiB");
    }
}
