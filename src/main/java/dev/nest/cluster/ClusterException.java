package dev.nest.cluster;

import dev.nest.common.NestException;

/** ZooKeeper could not be reached or refused an operation. */
public final class ClusterException extends NestException {
    public ClusterException(String detail, Throwable cause) {
        super(503, "cluster unavailable", detail, cause);
    }
}
