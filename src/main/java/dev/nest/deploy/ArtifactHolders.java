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

    /**
     * Records the sha256 (hex) of the manifest of package {@code digest}, by the node that verified the upload, so that
     * fetching nodes can trust that manifest and check chunks only (ADR 0027). The last record wins; waits for the
     * cluster up to its operation timeout. A node alone records nothing.
     */
    default void recordManifest(String digest, String manifestSha256) {
    }

    /**
     * The manifest sha256 recorded for package {@code digest}; empty when none is (then a fetch hashes every file).
     */
    default java.util.Optional<String> trustedManifest(String digest) {
        return java.util.Optional.empty();
    }

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
