package dev.nest.cluster;

import java.time.Instant;
import java.util.Map;

/**
 * A registered node as it registered ({@link NodeInfo}) plus what it last published: {@code pools} (ready generic
 * pods per runtime) and {@code packages} (how many code packages it has unpacked). Plain data for
 * {@code GET /api/v1/nodes}.
 */
public record NodeDescription(String id, String address, int port, String zone, String region, String driver,
                              Instant started, Map<String, String> labels, Map<String, Integer> pools, int packages) {
    static NodeDescription of(NodeInfo n, Map<String, Integer> pools, int packages) {
        return new NodeDescription(n.id(), n.address(), n.port(), n.zone(), n.region(), n.driver(), n.started(),
                n.labels(), pools, packages);
    }
}
