package dev.nest.gateway;

import dev.nest.common.TraceContext;
import dev.nest.store.InvocationRecord;
import java.util.List;
import java.util.Locale;
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
        String trigger = "http";
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            String n = headers.get(i).toLowerCase(Locale.ROOT);
            String v = headers.get(i + 1).toLowerCase(Locale.ROOT);
            if (n.equals("ce-type") && (v.contains("cron") || v.contains("timer"))) {
                return "timer";
            }
            if (n.equals("x-nest-async-delivery") || n.equals("ce-specversion")
                    || n.equals("content-type") && v.startsWith("application/cloudevents")) {
                trigger = "pubsub";
            }
        }
        return trigger;
    }
}
