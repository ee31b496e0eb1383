package dev.nest.cluster;

import dev.nest.function.FunctionId;

/** The layout of one region's tree: {@code /nest/<region>/{leader, nodes, functions, ...}}. */
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
}
