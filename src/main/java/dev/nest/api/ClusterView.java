package dev.nest.api;

import dev.nest.cluster.Cluster;
import java.util.Optional;

/** What the admin API reads from the cluster module (the {@link Cluster} in production). */
interface ClusterView {
    /** This node's id. */
    String nodeId();

    /** Whether the node is connected to ZooKeeper. */
    Cluster.State state();

    /** The leader's node id, when one is known. */
    Optional<String> leaderId();

    /** The body of {@code GET /api/v1/cluster}, serialized as it is. */
    Object describe();

    /** The body of {@code GET /api/v1/nodes}, serialized as it is; {@code holding} filters by package digest. */
    Object nodes(Optional<String> holding);
}
