package dev.nest.cluster;

/**
 * What the leader wants one node to run of one function ({@code placements/<node>/<namespace>.<name>}).
 *
 * @param instances instances of the live version the node keeps
 * @param version   the live version when the placement was written (informational: the node follows its catalog)
 * @param epoch     the leader epoch that wrote it
 */
public record NodePlacement(int instances, int version, int epoch) {
    public NodePlacement {
        if (instances < 0) {
            throw new IllegalArgumentException("a placement's instances must be >= 0, got " + instances);
        }
    }
}
