package dev.nest.scaler;

import java.time.Instant;
import java.util.Map;

/**
 * One decision of the live scaler that changed a function's desired count (or its first decision), as kept in
 * the per-function log and shown by {@code GET /api/v1/functions/{name}/scaling}.
 *
 * @param at      when it was decided
 * @param from    the desired count before
 * @param to      the desired count after
 * @param rule    the rule that settled it
 * @param reason  the scaler's reason in words
 * @param metrics the metric values it saw (window averages, keyed like {@code concurrency.avg60s})
 */
public record ScalingEvent(Instant at, int from, int to, ScalingRule rule, String reason, Map<String, Double> metrics) {
    public ScalingEvent {
        metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
    }
}
