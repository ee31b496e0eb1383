package dev.nest.cluster;

import java.util.List;
import java.util.Map;

/**
 * What this node knows of its region, for diagnostics ({@code GET /api/v1/cluster}). Plain data, read from memory.
 *
 * @param region     the region
 * @param state      this node's connection to ZooKeeper ({@link Cluster.State} name)
 * @param node       this node's id
 * @param leader     the leader's node id; empty when none is known
 * @param isLeader   whether this node leads
 * @param epoch      the epoch this node leads at; -1 when it does not lead
 * @param nodes      the registered nodes
 * @param ready      the routing table as this node's gateway sees it (its last known content while DEGRADED), by node
 * @param placements what the leader placed on each node: by node id, then {@code <namespace>/<name>}
 */
public record ClusterDescription(String region, String state, String node, String leader, boolean isLeader, int epoch,
                                 List<NodeDescription> nodes, Map<String, ReadyDocument> ready,
                                 Map<String, Map<String, NodePlacement>> placements) {
}
