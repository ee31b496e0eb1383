package dev.nest.async;

import java.time.Clock;
import java.util.Map;

/**
 * What a queue back end gets to open its {@link EventQueue}.
 *
 * @param settings the {@code async.<queue>:} block of {@code nest.yaml}, keys as written ({@code bootstrap-servers}),
 *                 values as text; empty when there is none
 * @param nodeId   this node's id ({@code node.id}), for client ids and to tell its records from others'
 * @param jdbcUrl  the node's H2 database ({@code NodeStore#jdbcUrl()}), for a back end that keeps state there
 * @param clock    the clock every time decision uses
 * @param wake     call when events may have become due (records arrived): the dispatcher leases at once instead of
 *                 at its next poll; from any thread
 */
public record QueueContext(Map<String, String> settings, String nodeId, String jdbcUrl, Clock clock, Runnable wake) {
    public QueueContext {
        settings = Map.copyOf(settings);
    }

    /** The setting {@code key}, or {@code fallback}. */
    public String setting(String key, String fallback) {
        return settings.getOrDefault(key, fallback);
    }
}
