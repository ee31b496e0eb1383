package dev.nest.store;

import java.time.Instant;
import java.util.Map;

/**
 * One invocation as recorded.
 *
 * @param id         invocation id
 * @param function   {@code namespace/name}
 * @param version    function version
 * @param startedAt  arrival at the gateway
 * @param durationMs gateway arrival to response written
 * @param status     HTTP status returned to the caller
 * @param cold       whether it waited for a new instance
 * @param instance   the instance that served it, empty if none did
 * @param error      short error text, empty on success
 * @param phases     time per phase in ms (queue, acquire, load, init, exec, ...)
 * @param traceId    the W3C trace id (32 lowercase hex) the invocation ran in, empty when none is known (a record
 *                   written before traces were kept)
 */
public record InvocationRecord(String id, String function, int version, Instant startedAt, double durationMs,
                               int status, boolean cold, String instance, String error, Map<String, Double> phases,
                               String traceId) {
    public InvocationRecord {
        traceId = traceId == null ? "" : traceId;
    }

    /** A record without a trace id. */
    public InvocationRecord(String id, String function, int version, Instant startedAt, double durationMs,
                            int status, boolean cold, String instance, String error, Map<String, Double> phases) {
        this(id, function, version, startedAt, durationMs, status, cold, instance, error, phases, "");
    }
}
