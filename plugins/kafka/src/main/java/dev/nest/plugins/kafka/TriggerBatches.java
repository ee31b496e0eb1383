package dev.nest.plugins.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.trigger.InvocationSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The Kafka trigger's wire format, both ways (pure functions).
 *
 * <p>The function receives {@code application/json}:
 * <pre>{"source": "kafka", "trigger": NAME, "topic": T, "records": [
 *   {"topic": T, "partition": 0, "offset": 42, "timestamp": 1733000000000,
 *    "key": "k" | null, "keyBase64": true (only when the key is not UTF-8 text; then "key" is base64),
 *    "value": "text" | null, "valueBase64": true (likewise),
 *    "headers": [{"name": "h", "value": "v", "base64": true (likewise)}],
 *    "cloudEvent": {...} (only for a record carrying a CloudEvent, see {@link #cloudEvent})}]}</pre>
 *
 * <p>It answers 2xx for success. To fail some records only, it answers 2xx with
 * {@code {"batchItemFailures": [{"partition": 0, "offset": 42}, ...]}} ({@code partition} may be left out, then
 * the offset names the records of every partition in the batch that have it; entries naming no record of the batch
 * are ignored). Any other status fails the whole batch; 429 and 503 (the platform is busy, not the records at fault),
 * 401 and 403 (the function refuses the trigger's calls: a setting to fix, not a poison record) are retried as they
 * are, without counting.
 */
final class TriggerBatches {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The most bytes of keys, values and headers one batch carries (a single larger record goes alone): what the
     * function receives stays under the gateway's default {@code server.max-body} of 6 MiB even in base64, and a
     * trigger with {@code batch-size: 10000} of large records holds megabytes, not gigabytes. A batch still larger
     * than the gateway takes is refused (413), split, and a record too large alone goes to the dead-letter topic.
     */
    static final long MAX_BATCH_BYTES = 4L * 1024 * 1024;

    private TriggerBatches() {
    }

    /** What {@code r} adds to a batch: its key, value, and headers' names and values, in bytes. */
    static long size(TriggerRecord r) {
        long n = r.key().map(k -> k.length).orElse(0) + r.value().map(v -> v.length).orElse(0);
        for (TriggerRecord.Header h : r.headers()) {
            n += h.name().length() + h.value().length;
        }
        return n;
    }

    /**
     * How many of {@code held}'s first records the next batch takes: at most {@code batchSize}, and no more than
     * {@code maxBytes} together (see {@link #size}), but at least one; 0 when none is held.
     */
    static int take(List<TriggerRecord> held, int batchSize, long maxBytes) {
        int n = 0;
        long bytes = 0;
        for (TriggerRecord r : held) {
            long size = size(r);
            if (n == batchSize || (n > 0 && bytes + size > maxBytes)) {
                break;
            }
            bytes += size;
            n++;
        }
        return n;
    }

    /** Whether {@code held} fills a batch now: {@code batchSize} records, or {@code maxBytes} of them. */
    static boolean full(List<TriggerRecord> held, int batchSize, long maxBytes) {
        if (held.size() >= batchSize) {
            return true;
        }
        long bytes = 0;
        for (TriggerRecord r : held) {
            bytes += size(r);
            if (bytes >= maxBytes) {
                return true;
            }
        }
        return false;
    }

    /** What one delivery of a batch came to. */
    sealed interface Outcome {
        /** Every record succeeded. */
        record Ok() implements Outcome {
        }

        /** The function reported these records (a proper, non-empty subset or all of the batch) as failed. */
        record ItemFailures(List<TriggerRecord> failed) implements Outcome {
        }

        /** The whole batch failed (function error, timeout, a 4xx/5xx answer). */
        record Failed(String error) implements Outcome {
        }

        /** Nest could not run it now (429, 503, not reachable): try the same batch again later. */
        record Transient(String error) implements Outcome {
        }
    }

    /** The body the function receives for {@code batch}. */
    static byte[] encode(String trigger, String topic, List<TriggerRecord> batch) {
        ObjectNode root = JSON.createObjectNode();
        root.put("source", "kafka");
        root.put("trigger", trigger);
        root.put("topic", topic);
        ArrayNode records = root.putArray("records");
        for (TriggerRecord r : batch) {
            ObjectNode n = records.addObject();
            n.put("topic", r.topic());
            n.put("partition", r.partition());
            n.put("offset", r.offset());
            n.put("timestamp", r.timestamp());
            bytes(n, "key", "keyBase64", r.key());
            bytes(n, "value", "valueBase64", r.value());
            ArrayNode headers = n.putArray("headers");
            for (TriggerRecord.Header h : r.headers()) {
                ObjectNode hn = headers.addObject();
                hn.put("name", h.name());
                bytes(hn, "value", "base64", Optional.of(h.value()));
            }
            cloudEvent(r).ifPresent(ce -> n.set("cloudEvent", ce));
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    private static final List<String> REQUIRED = List.of("specversion", "id", "source", "type");

    /**
     * The record as a CloudEvent in the JSON format, by the Kafka protocol binding (1.0): binary mode ({@code ce_}
     * headers, {@code content-type} the {@code datacontenttype}, the value the data: JSON when the content type is
     * JSON and the value parses, else text, else {@code data_base64}) or structured mode ({@code content-type:
     * application/cloudevents+json}, the value the event). Empty when the record is neither or lacks a required
     * attribute ({@code specversion}, {@code id}, {@code source}, {@code type}).
     */
    static Optional<ObjectNode> cloudEvent(TriggerRecord r) {
        Optional<String> contentType = Optional.empty();
        ObjectNode ce = JSON.createObjectNode();
        for (TriggerRecord.Header h : r.headers()) {
            String name = h.name().toLowerCase(java.util.Locale.ROOT);
            Optional<String> text = utf8(h.value());
            if (name.equals("content-type")) {
                contentType = text;
            } else if (name.startsWith("ce_") && name.length() > 3 && text.isPresent()) {
                ce.put(name.substring(3), text.get());
            }
        }
        if (contentType.map(c -> c.startsWith("application/cloudevents+json")).orElse(false)) {
            try {
                JsonNode e = r.value().isEmpty() ? null : JSON.readTree(r.value().get());
                return e instanceof ObjectNode o && REQUIRED.stream().allMatch(o::hasNonNull)
                        ? Optional.of(o) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        if (!REQUIRED.stream().allMatch(ce::hasNonNull)) {
            return Optional.empty();
        }
        contentType.ifPresent(c -> ce.put("datacontenttype", c));
        if (r.value().isPresent()) {
            byte[] v = r.value().get();
            boolean json = contentType.map(c -> c.contains("json")).orElse(false);
            Optional<String> text = utf8(v);
            JsonNode parsed = null;
            if (json && text.isPresent()) {
                try {
                    parsed = JSON.readTree(text.get());
                } catch (IOException e) {
                    parsed = null;
                }
            }
            if (parsed != null) {
                ce.set("data", parsed);
            } else if (text.isPresent()) {
                ce.put("data", text.get());
            } else {
                ce.put("data_base64", Base64.getEncoder().encodeToString(v));
            }
        }
        return Optional.of(ce);
    }

    private static void bytes(ObjectNode n, String field, String flag, Optional<byte[]> b) {
        if (b.isEmpty()) {
            n.putNull(field);
            return;
        }
        Optional<String> text = utf8(b.get());
        if (text.isPresent()) {
            n.put(field, text.get());
        } else {
            n.put(field, Base64.getEncoder().encodeToString(b.get()));
            n.put(flag, true);
        }
    }

    /** {@code b} as text when it is valid UTF-8. */
    static Optional<String> utf8(byte[] b) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** What the answer to {@code batch} means (see the class comment). */
    static Outcome decode(InvocationSink.Response r, List<TriggerRecord> batch) {
        int s = r.status();
        if (s == 429 || s == 503) {
            return new Outcome.Transient("the function answered " + s + " (busy)");
        }
        if (s == 401 || s == 403) {
            return new Outcome.Transient("the function answered " + s + ": it refuses the trigger's calls (a "
                    + "trigger's synchronous call carries no token; use auth: none for it)");
        }
        if (s < 200 || s > 299) {
            return new Outcome.Failed("the function answered " + s + snippet(r.body()));
        }
        JsonNode root;
        try {
            root = JSON.readTree(r.body());
        } catch (IOException e) {
            return new Outcome.Ok();
        }
        JsonNode failures = root == null ? null : root.get("batchItemFailures");
        if (failures == null || !failures.isArray() || failures.isEmpty()) {
            return new Outcome.Ok();
        }
        List<TriggerRecord> failed = new ArrayList<>();
        for (TriggerRecord rec : batch) {
            for (JsonNode f : failures) {
                JsonNode offset = f.get("offset");
                JsonNode partition = f.get("partition");
                boolean offsetMatches = offset != null && (offset.isIntegralNumber() || offset.isTextual())
                        && offset.asLong(-1) == rec.offset();
                boolean partitionMatches = partition == null || partition.isNull()
                        || ((partition.isIntegralNumber() || partition.isTextual()) && partition.asInt(-1) == rec.partition());
                if (offsetMatches && partitionMatches) {
                    failed.add(rec);
                    break;
                }
            }
        }
        return failed.isEmpty() ? new Outcome.Ok() : new Outcome.ItemFailures(List.copyOf(failed));
    }

    private static String snippet(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        String t = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8).strip();
        return t.isEmpty() ? "" : ": " + t;
    }
}
