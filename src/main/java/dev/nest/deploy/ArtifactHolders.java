package dev.nest.deploy;

import java.util.List;

/**
 * Which nodes hold which code packages, as the cluster records it, and which nodes are alive to receive one.
 * Implemented by the cluster module; {@link #SINGLE_NODE} is the answer of a node alone.
 */
public interface ArtifactHolders {
    /**
     * Another live node of the region.
     *
     * @param node    node id
     * @param zone    its availability zone
     * @param baseUrl its HTTP API root, e.g. {@code http://10.0.0.2:8080}
     */
    record Node(String node, String zone, String baseUrl) {
    }

    /** This node's id. */
    String self();

    /** This node's zone. */
    String zone();

    /** Records that {@code node} holds package {@code digest}; waits for the cluster up to its operation timeout. */
    void record(String digest, String node);

    /** The live nodes other than this one that hold {@code digest}. */
    List<Node> holders(String digest);

    /** The live nodes other than this one. */
    List<Node> peers();

    /** A node alone: nothing to record, nobody to ask. */
    ArtifactHolders SINGLE_NODE = new ArtifactHolders() {
        @Override
        public String self() {
            return "";
        }

        @Override
        public String zone() {
            return "";
        }

        @Override
        public void record(String digest, String node) {
        }

        @Override
        public List<Node> holders(String digest) {
            return List.of();
        }

        @Override
        public List<Node> peers() {
            return List.of();
        }
    };
}
