package dev.nest.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads CloudEvents 1.0 from an HTTP request (the HTTP protocol binding): binary mode (attributes in {@code ce-*}
 * headers, data in the body), structured mode ({@code application/cloudevents+json}: one event in the JSON format)
 * and batched mode ({@code application/cloudevents-batch+json}: a JSON array of such events). Every event is checked
 * ({@code specversion} 1.0, non-empty {@code id}, {@code source} and {@code type}, attribute names lower-case
 * letters and digits) and turned into its JSON-format form, which is what the function receives. Pure; thread-safe.
 *
 * <p>Limits: a batch holds at most {@value #MAX_BATCH} events (413 beyond: the batch is read one event at a time and
 * refused at the first event past the limit, so an oversized batch costs no more than the limit); other event formats
 * than JSON ({@code application/cloudevents+avro} ...) are refused with 415. The body itself is bounded by the
 * gateway's {@code server.max-body}.
 */
final class CloudEvents {
    static final String STRUCTURED = "application/cloudevents+json";
    static final String BATCH = "application/cloudevents-batch+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("[a-z0-9]{1,20}");
    private static final Set<String> REQUIRED = Set.of("id", "source", "specversion", "type");
    /** The most events one batch may hold. */
    static final int MAX_BATCH = 10_000;

    /** How the events came. */
    enum Mode {
        BINARY, STRUCTURED, BATCH;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The events of one request, each in the JSON format. */
    record Parsed(Mode mode, List<ObjectNode> events) {
    }

    /** A request that claims to carry CloudEvents but breaks the spec; the message says what to change. */
    static final class Invalid extends RuntimeException {
        private final int status;

        Invalid(String message) {
            this(400, message);
        }

        Invalid(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        /** The HTTP status to answer: 400 malformed, 413 too many events, 415 a format Nest does not read. */
        int status() {
            return status;
        }
    }

    private CloudEvents() {
    }

    /** Whether {@code contentType}, past leading blanks, may name a CloudEvents media type (any case). */
    static boolean cloudEventsMedia(String contentType) {
        int from = 0;
        while (from < contentType.length() && contentType.charAt(from) <= ' ') {
            from++;
        }
        return contentType.regionMatches(true, from, "application/cloudevents", 0, 23);
    }

    /**
     * The CloudEvents in a request, or empty when it carries none (no {@code ce-specversion} header and neither
     * CloudEvents content type).
     *
     * @param headers name, value, name, value, ...
     * @throws Invalid when it claims to carry events and one is malformed
     */
    static Optional<Parsed> read(List<String> headers, byte[] body) {
        String contentType = header(headers, "content-type").orElse("");
        if (!cloudEventsMedia(contentType) && header(headers, "ce-specversion").isEmpty()) {
            // the usual request, answered without the allocations below; exact, as every CloudEvents media type
            // starts with application/cloudevents
            return Optional.empty();
        }
        String media = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (media.equals(BATCH)) {
            return Optional.of(new Parsed(Mode.BATCH, batch(body)));
        }
        if (media.startsWith("application/cloudevents") && !media.equals(STRUCTURED)) {
            throw new Invalid(415, "content type " + media + " is a CloudEvents format Nest does not read; send "
                    + STRUCTURED + ", " + BATCH + " or binary mode (ce-* headers)");
        }
        if (media.equals(STRUCTURED)) {
            return Optional.of(new Parsed(Mode.STRUCTURED, List.of(checked(json(body, "a structured event"), "the event"))));
        }
        if (header(headers, "ce-specversion").isEmpty()) {
            return Optional.empty();
        }
        ObjectNode e = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            String n = headers.get(i).toLowerCase(Locale.ROOT);
            if (n.startsWith("ce-")) {
                String attr = n.substring(3);
                if (!NAME.matcher(attr).matches()) {
                    throw new Invalid("header " + headers.get(i) + ": CloudEvents attribute names are 1 to 20 "
                            + "lower-case letters or digits");
                }
                try { // values are percent-encoded where not printable ASCII; '+' is a plus
                    e.put(attr, URLDecoder.decode(headers.get(i + 1).trim().replace("+", "%2B"), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException badEscape) {
                    throw new Invalid("header " + headers.get(i) + ": " + badEscape.getMessage());
                }
            }
        }
        if (!contentType.isBlank()) {
            e.put("datacontenttype", contentType.trim());
        }
        if (body.length > 0) {
            data(e, media, body);
        }
        return Optional.of(new Parsed(Mode.BINARY, List.of(checked(e, "the event's ce-* headers"))));
    }

    /** A batch's events, read one at a time so that a batch over {@link #MAX_BATCH} is refused early. */
    private static List<ObjectNode> batch(byte[] body) {
        List<ObjectNode> events = new ArrayList<>();
        try (com.fasterxml.jackson.core.JsonParser p = JSON.createParser(body)) {
            com.fasterxml.jackson.core.JsonToken first = p.nextToken();
            if (first == null) {
                throw new Invalid("the body must hold a batch in JSON; it is empty");
            }
            if (first != com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
                throw new Invalid("a " + BATCH + " body must be a JSON array of events; it is a "
                        + ((JsonNode) JSON.readTree(p)).getNodeType().toString().toLowerCase(Locale.ROOT));
            }
            for (com.fasterxml.jackson.core.JsonToken t = p.nextToken();
                 t != com.fasterxml.jackson.core.JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t == null) {
                    throw new Invalid("the body must hold a batch in JSON: the array is not closed");
                }
                if (events.size() == MAX_BATCH) {
                    throw new Invalid(413, "a batch holds at most " + MAX_BATCH + " events; this one has more: "
                            + "send it as several batches");
                }
                JsonNode event = JSON.readTree(p);
                events.add(checked(event, "event [" + events.size() + "] of the batch"));
            }
            if (p.nextToken() != null) {
                throw new Invalid("the body must hold a batch in JSON: there is more after the array");
            }
            return events;
        } catch (IOException e) {
            throw new Invalid("the body must hold a batch in JSON: " + (e instanceof
                    com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
    }

    /** Binary-mode data in the JSON format: JSON as JSON, text as a string, anything else as {@code data_base64}. */
    private static void data(ObjectNode e, String media, byte[] body) {
        if (media.equals("application/json") || media.endsWith("+json") || media.equals("text/json")) {
            try {
                e.set("data", JSON.readTree(body));
                return;
            } catch (IOException notJson) {
                // fall through: kept as it came
            }
        }
        if (media.startsWith("text/") || media.equals("application/xml")) {
            e.put("data", new String(body, StandardCharsets.UTF_8));
        } else {
            e.put("data_base64", Base64.getEncoder().encodeToString(body));
        }
    }

    private static JsonNode json(byte[] body, String what) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || n.isMissingNode()) {
                throw new Invalid("the body must hold " + what + " in JSON; it is empty");
            }
            return n;
        } catch (IOException e) {
            throw new Invalid("the body must hold " + what + " in JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
    }

    private static ObjectNode checked(JsonNode n, String what) {
        if (n == null || !n.isObject()) {
            throw new Invalid(what + " must be a JSON object with specversion, id, source and type");
        }
        ObjectNode e = (ObjectNode) n;
        for (String k : REQUIRED) {
            JsonNode v = e.get(k);
            if (v == null || !v.isTextual() || v.asText().isEmpty()) {
                throw new Invalid(what + ": attribute '" + k + "' is required and must be a non-empty string"
                        + (k.equals("specversion") ? " (1.0)" : ""));
            }
        }
        if (!e.get("specversion").asText().equals("1.0")) {
            throw new Invalid(what + ": specversion '" + e.get("specversion").asText() + "' is not supported; "
                    + "Nest reads CloudEvents 1.0");
        }
        for (var it = e.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!NAME.matcher(k).matches() && !k.equals("data_base64")) {
                throw new Invalid(what + ": attribute '" + k + "' is not a valid name (1 to 20 lower-case letters or digits)");
            }
        }
        if (e.has("data") && e.has("data_base64")) {
            throw new Invalid(what + ": has both data and data_base64; send one");
        }
        return e;
    }

    /** The body for the function: one event, or the batch's (remaining) events as an array. */
    static byte[] body(Parsed p, List<ObjectNode> kept) {
        if (p.mode() == Mode.BATCH) {
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            kept.forEach(a::add);
            return a.toString().getBytes(StandardCharsets.UTF_8);
        }
        return kept.getFirst().toString().getBytes(StandardCharsets.UTF_8);
    }

    static Optional<String> header(List<String> headers, String name) {
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            if (headers.get(i).equalsIgnoreCase(name)) {
                return Optional.of(headers.get(i + 1));
            }
        }
        return Optional.empty();
    }
}
