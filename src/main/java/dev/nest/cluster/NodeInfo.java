package dev.nest.cluster;

import java.time.Instant;
import java.util.Map;

/**
 * What a node publishes about itself (ephemeral, under {@code nodes/<id>}).
 *
 * @param id      node id
 * @param address advertised address for other nodes' gateways and the CLI
 * @param port    HTTP port
 * @param zone    availability zone
 * @param region  region
 * @param driver  sandbox driver name
 * @param started when the node started
 * @param labels  free-form facts (driver health, capacity) refreshed by the node
 */
public record NodeInfo(String id, String address, int port, String zone, String region, String driver,
                       Instant started, Map<String, String> labels) {
}
