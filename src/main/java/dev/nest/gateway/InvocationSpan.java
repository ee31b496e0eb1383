package dev.nest.gateway;

import dev.nest.common.TraceContext;
import dev.nest.store.InvocationRecord;
import java.util.List;
import java.util.Optional;

/**
 * One invocation the gateway served, as a span of its trace: the record, this gateway's position in the trace (its
 * {@code parentId} is the span id the host was given as its parent, so it is the id of this span) and the caller's
 * span when the request carried a valid {@code traceparent}.
 *
 * @param record       the invocation's record
 * @param trace        this gateway's span: trace id, span id ({@link TraceContext#parentId()}) and flags
 * @param parentSpanId the caller's span id; empty when the gateway started the trace
 * @param trigger      OpenTelemetry's {@code faas.trigger}: {@code http}, {@code pubsub}, {@code timer} or {@code other}
 */
public record InvocationSpan(InvocationRecord record, TraceContext trace, Optional<String> parentSpanId, String trigger) {
    /**
     * The trigger of a request with {@code headers} (name, value, ...): an async delivery or a CloudEvent is
     * {@code pubsub}, a CloudEvent whose {@code ce-type} names a cron or timer is {@code timer}, anything else
     * {@code http}. A structured-mode CloudEvent's type is in its body and not read here: it counts as {@code pubsub}.
     */
    public static String trigger(List<String> headers) {
        // compared in place, ignoring case: this runs for every request, and lower-cased copies of every header
        // name and value were most of its cost
        String trigger = "http";
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            String n = headers.get(i);
            String v = headers.get(i + 1);
            if (n.equalsIgnoreCase("ce-type") && (containsIgnoringCase(v, "cron") || containsIgnoringCase(v, "timer"))) {
                return "timer";
            }
            if (n.equalsIgnoreCase("x-nest-async-delivery") || n.equalsIgnoreCase("ce-specversion")
                    || n.equalsIgnoreCase("content-type") && v.regionMatches(true, 0, "application/cloudevents", 0, 23)) {
                trigger = "pubsub";
            }
        }
        return trigger;
    }

    /** Whether {@code s} contains {@code lowerAscii} (lower-case ASCII letters) in any case. */
    static boolean containsIgnoringCase(String s, String lowerAscii) {
        for (int from = 0, last = s.length() - lowerAscii.length(); from <= last; from++) {
            if (s.regionMatches(true, from, lowerAscii, 0, lowerAscii.length())) {
                return true;
            }
        }
        return false;
    }
}
