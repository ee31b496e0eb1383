package dev.nest.cluster;

import dev.nest.function.FunctionId;

/**
 * The layout of one region's tree: {@code /nest/<region>/{leader, epoch, nodes/<id>, ready/<id>, cached/<id>, functions/<ns>/<name>,
 * artifacts/<sha256 hex>/<holder id>, placements/<node id>/<namespace>.<name>}}. {@code nodes}, {@code ready} and {@code cached} children are ephemeral.
 */
record ZooKeeperPaths(String region) {
    String root() {
        return "/nest/" + region;
    }

    String leader() {
        return root() + "/leader";
    }

    String nodes() {
        return root() + "/nodes";
    }

    String node(String id) {
        return nodes() + "/" + id;
    }

    String functions() {
        return root() + "/functions";
    }

    String function(FunctionId id) {
        return functions() + "/" + id.namespace() + "/" + id.name();
    }

    String versions(FunctionId id) {
        return function(id) + "/v";
    }

    String version(FunctionId id, int version) {
        return versions(id) + "/" + String.format("%010d", version);
    }

    String epoch() {
        return root() + "/epoch";
    }

    String ready() {
        return root() + "/ready";
    }

    String ready(String nodeId) {
        return ready() + "/" + nodeId;
    }

    String cached() {
        return root() + "/cached";
    }

    String cached(String nodeId) {
        return cached() + "/" + nodeId;
    }

    /** Persistent; {@code 2} once a node wrote a package of format 2 (the ratchet, {@link ClusterPackageFormat}). */
    String packageFormat() {
        return root() + "/package-format";
    }

    String artifacts() {
        return root() + "/artifacts";
    }

    /** The holders of a package; {@code digest} may carry its {@code sha256:} prefix. */
    String artifact(String digest) {
        return artifacts() + "/" + (digest.startsWith("sha256:") ? digest.substring(7) : digest);
    }

    String holder(String digest, String nodeId) {
        return artifact(digest) + "/" + nodeId;
    }

    String placements() {
        return root() + "/placements";
    }

    /** A placement's path relative to the region root, as the leader's fenced writes take it. */
    static String placementRelative(String nodeId, FunctionId id) {
        return "placements/" + nodeId + "/" + id.namespace() + "." + id.name();
    }

    /** A trigger's stored state (see {@code ZooKeeperTriggerStates}). */
    String trigger(FunctionId id, String trigger) {
        return root() + "/triggers/" + id.namespace() + "/" + id.name() + "/" + trigger;
    }
}
