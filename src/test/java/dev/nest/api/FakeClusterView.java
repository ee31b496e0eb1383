package dev.nest.api;

import dev.nest.cluster.Cluster;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A one-node cluster whose state and leader a test sets; the nodes listing echoes its filter. */
final class FakeClusterView implements ClusterView {
    Cluster.State state = Cluster.State.CONNECTED;
    Optional<String> leader = Optional.of("node-1");

    @Override
    public String nodeId() {
        return "node-1";
    }

    @Override
    public Cluster.State state() {
        return state;
    }

    @Override
    public Optional<String> leaderId() {
        return leader;
    }

    @Override
    public Object describe() {
        return Map.of("region", "local");
    }

    @Override
    public Object nodes(Optional<String> holding) {
        return List.of(Map.of("id", "node-1", "holding", holding.orElse("")));
    }
}
