package dev.nest.store;

import java.time.Instant;

/**
 * One line a function (or its pod) wrote.
 *
 * @param at           when the node agent read it
 * @param function     {@code namespace/name}, empty for a line of a pod that holds several functions
 * @param version      function version, 0 when unknown
 * @param invocationId the invocation it belongs to, empty for pod-level lines
 * @param instance     instance or pod id
 * @param level        debug, info, warn, error
 * @param text         the line, without newline
 */
public record LogLine(Instant at, String function, int version, String invocationId, String instance,
                      String level, String text) {
}
