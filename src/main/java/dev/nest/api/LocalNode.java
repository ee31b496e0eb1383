package dev.nest.api;

import dev.nest.function.FunctionId;
import dev.nest.pool.PoolStatus;
import dev.nest.sidecar.InstanceInfo;
import dev.nest.spi.DriverHealth;
import java.util.List;
import java.util.Optional;

/** What the admin API reads from, and asks of, this node's agent (the node agent in production). */
interface LocalNode {
    /** Every instance on this node. */
    List<InstanceInfo> instances();

    /** The instances of {@code id} on this node. */
    List<InstanceInfo> instances(FunctionId id);

    /** Why the last start of {@code id} failed, while it is failing. */
    Optional<String> lastStartError(FunctionId id);

    /** The warm pools, one per runtime. */
    List<PoolStatus> pools();

    /** Resizes a runtime's warm pool; an {@link IllegalArgumentException} names what is wrong. */
    void resizePool(String runtime, int size);

    /** The sandbox driver's name. */
    String driverName();

    /** The sandbox driver's health. */
    DriverHealth driverHealth();
}
