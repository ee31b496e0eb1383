package dev.nest.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * What the gateway does with a function request before invoking: event-only functions and CloudEvents. Called from
 * one place in {@link Gateway} (after the function's version is known, before async or sync invocation).
 *
 * <ul>
 * <li>A function with {@code http: false} answers 404 to its URL; only its triggers invoke it (async deliveries, and
 * synchronous trigger calls whose headers {@code triggerCall} recognises).</li>
 * <li>A request carrying CloudEvents 1.0 (binary, structured or batched mode; see {@link CloudEvents}) is checked
 * (400 with the reason when malformed) and handed to the function as JSON-format events: one event as
 * {@code application/cloudevents+json}, a batch as an {@code application/cloudevents-batch+json} array, with header
 * {@code x-cloudevents-mode} naming the mode it came in. Each event's attributes are top-level members
 * ({@code id}, {@code source}, {@code type}, {@code time}, extensions ...); its data is {@code data} (JSON, or
 * text) or {@code data_base64} (anything else).</li>
 * <li>Duplicates: an event whose {@code source} and {@code id} this node saw for the same function within
 * {@link #WINDOW} is dropped: a single event is answered {@code 200} with {@code {"duplicate":true}} and header
 * {@code x-nest-cloudevents-duplicate: true} without invoking; a batch goes on without its duplicates (and is
 * answered like a single duplicate when none is left; an empty batch is answered 200 {@code {"events":0}} without
 * invoking). At most {@link #CAPACITY} keys are kept: beyond that the oldest are forgotten early, so memory stays
 * bounded; a key is a SHA-256 digest of the function, source and id (each length-prefixed), so its size does not
 * depend on the event's (an id of megabytes costs what any other costs) and two different events cannot be made to
 * collide. An event is remembered when it is accepted, before it runs;
 * a sender that retries after a failed synchronous call within the window is dropped too, so senders that need
 * retries should ask for async invocation ({@code X-Nest-Invocation-Type: async}: Nest then retries).</li>
 * </ul>
 *
 * <p>Deliveries of async events (already read when they were accepted) and trigger calls pass through untouched.
 * Threads: any (the duplicate window is synchronized; each call is short).
 */
public final class EventIngress {
    /** How long an event's source and id are remembered. */
    public static final Duration WINDOW = Duration.ofMinutes(10);
    /** How many keys are remembered at most. */
    public static final int CAPACITY = 50_000;
    static final String MODE_HEADER = "x-cloudevents-mode";
    static final String DUPLICATE_HEADER = "x-nest-cloudevents-duplicate";
    private static final String TRIGGER_CALL_HEADER = "x-nest-trigger-call";

    private final Predicate<List<String>> triggerCall;
    private final LongSupplier nanos;
    private final Map<String, Long> seen = new LinkedHashMap<>();

    /**
     * @param triggerCall whether a request's headers mark it as a trigger's own call (it may invoke an event-only
     *                    function)
     * @param nanos       a monotonic clock in nanoseconds, for the duplicate window
     */
    public EventIngress(Predicate<List<String>> triggerCall, LongSupplier nanos) {
        this.triggerCall = triggerCall;
        this.nanos = nanos;
    }

    /** Accepts no trigger calls (event-only functions answer 404 to every request but async deliveries). */
    static EventIngress standard() {
        return new EventIngress(h -> false, System::nanoTime);
    }

    /** What to do with the request. */
    sealed interface Outcome {
        /**
         * Go on (the request may have been rewritten). {@code remembered}: the duplicate keys of the events this
         * request carries, remembered now; hand them to {@link #forget} when the request is refused or fails
         * (429, 5xx), so that the sender's retry is taken, not dropped as a duplicate.
         */
        record Proceed(List<String> remembered) implements Outcome {
        }

        /** Answer now with this status and JSON body, with {@code headers} (name, value, ...). */
        record Answer(int status, String error, String detail, byte[] body, List<String> headers) implements Outcome {
        }
    }

    private static final Outcome PROCEED = new Outcome.Proceed(List.of());
    private static final byte[] NO_BODY = new byte[0];

    /**
     * Decides for one request; may rewrite {@code headers} (mutable, name, value, ...) and returns the body to use
     * through {@code body[0]}.
     *
     * @param function the function (its {@code namespace/name} is the duplicates' key and named in refusals; printed
     *                 only when one of them needs it)
     * @param delivery whether the request is the async dispatcher's delivery
     */
    Outcome admit(FunctionId function, FunctionSpec spec, boolean delivery, List<String> headers, byte[][] body) {
        boolean call = triggerCall.test(headers);
        Gateway.removeHeader(headers, TRIGGER_CALL_HEADER);
        if (!spec.http() && !delivery && !call) {
            return new Outcome.Answer(404, "function not found", "function " + function + " is event-only "
                    + "(http: false): only its triggers invoke it", null, List.of());
        }
        if (delivery || call) {
            return PROCEED;
        }
        CloudEvents.Parsed parsed;
        try {
            var read = CloudEvents.read(headers, body[0] == null ? NO_BODY : body[0]);
            if (read.isEmpty()) {
                return PROCEED;
            }
            parsed = read.get();
        } catch (CloudEvents.Invalid e) {
            return new Outcome.Answer(e.status(), switch (e.status()) {
                case 413 -> "too many CloudEvents";
                case 415 -> "unsupported CloudEvents format";
                default -> "invalid CloudEvent";
            }, e.getMessage(), null, List.of());
        }
        if (parsed.events().isEmpty()) {
            return new Outcome.Answer(200, "empty batch", "the batch holds no events: nothing to invoke",
                    "{\"events\":0}".getBytes(StandardCharsets.UTF_8), List.of());
        }
        List<ObjectNode> kept = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        String functionKey = function.toString();
        for (ObjectNode e : parsed.events()) {
            String key = key(functionKey, e.get("source").asText(), e.get("id").asText());
            if (firstTime(key)) {
                kept.add(e);
                keys.add(key);
            }
        }
        if (kept.isEmpty()) {
            ObjectNode first = parsed.events().getFirst();
            String detail = "source " + shortened(first.get("source").asText()) + ", id "
                    + shortened(first.get("id").asText());
            byte[] answer = ("{\"duplicate\":true,\"events\":" + parsed.events().size() + "}")
                    .getBytes(StandardCharsets.UTF_8);
            return new Outcome.Answer(200, "duplicate", detail, answer, List.of(DUPLICATE_HEADER, "true"));
        }
        for (int i = 0; i < headers.size(); ) { // the event is now in the body
            String n = headers.get(i).toLowerCase();
            if (n.startsWith("ce-") || n.equals("content-type") || n.equals(MODE_HEADER)) {
                headers.remove(i + 1);
                headers.remove(i);
            } else {
                i += 2;
            }
        }
        // CloudEvents' distributed tracing extension: one event's valid traceparent attribute continues its trace
        // when the request itself carries none (the gateway validates it again; a malformed one is ignored)
        if (kept.size() == 1 && dev.nest.common.TraceContext.incoming(headers).isEmpty()) {
            dev.nest.common.TraceContext.parse(kept.getFirst().path("traceparent").asText(null)).ifPresent(t -> {
                Gateway.removeHeader(headers, dev.nest.common.TraceContext.HEADER);
                Gateway.removeHeader(headers, dev.nest.common.TraceContext.STATE_HEADER);
                headers.add(dev.nest.common.TraceContext.HEADER);
                headers.add(t.header());
            });
        }
        headers.add("content-type");
        headers.add(parsed.mode() == CloudEvents.Mode.BATCH ? CloudEvents.BATCH : CloudEvents.STRUCTURED);
        headers.add(MODE_HEADER);
        headers.add(parsed.mode().label());
        body[0] = CloudEvents.body(parsed, kept);
        return new Outcome.Proceed(List.copyOf(keys));
    }

    /** The duplicate key of an event: a digest of its function, source and id, each length-prefixed. */
    static String key(String function, String source, String id) {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            for (String part : List.of(function, source, id)) {
                byte[] b = part.getBytes(StandardCharsets.UTF_8);
                d.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
                d.update(b);
            }
            return java.util.Base64.getEncoder().withoutPadding().encodeToString(d.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String shortened(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "... (" + s.length() + " characters)";
    }

    /** Remembers {@code key}; false when it was seen within the window. */
    private synchronized boolean firstTime(String key) {
        long now = nanos.getAsLong();
        long window = WINDOW.toNanos();
        var it = seen.entrySet().iterator();
        while (it.hasNext()) { // oldest first: stop at the first one still in the window
            var e = it.next();
            if (now - e.getValue() > window || seen.size() >= CAPACITY) {
                it.remove();
            } else {
                break;
            }
        }
        Long before = seen.get(key);
        if (before != null && now - before <= window) {
            return false;
        }
        seen.remove(key);
        seen.put(key, now);
        return true;
    }

    /**
     * Forgets events remembered by {@link #admit} whose request did not go through (refused, or failed with 429 or
     * 5xx): a duplicate is an event that was taken, not one the sender must send again.
     */
    synchronized void forget(List<String> keys) {
        keys.forEach(seen::remove);
    }

    /** Whether an answer with {@code status} tells the sender to try again, so its events are not taken. */
    static boolean retryable(int status) {
        return status == 429 || status >= 500;
    }

    /** Keys remembered now (tests). */
    synchronized int remembered() {
        return seen.size();
    }
}
