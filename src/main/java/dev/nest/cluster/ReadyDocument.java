package dev.nest.cluster;

import java.util.List;
import java.util.Map;

/**
 * What one node publishes about its ready instances, {@code ready/<node>} (stored as JSON in ZooKeeper): its gateway
 * address, per function version how many instances it has ready and how many invocations they are running, and per
 * runtime how many generic warm-pool pods it has ready.
 *
 * @param pools ready generic pods per runtime (absent in documents of nodes that predate it: read as none)
 */
public record ReadyDocument(String node, String address, int port, String zone, List<Entry> instances,
                            Map<String, Integer> pools) {
    public ReadyDocument {
        pools = pools == null ? Map.of() : pools;
    }

    /** One function version in a document: {@code function} is {@code <namespace>/<name>}. */
    public record Entry(String function, int version, int ready, int inFlight) {
    }
}
