package dev.nest.api;

import dev.nest.function.FunctionId;
import dev.nest.pool.PoolStatus;
import dev.nest.sidecar.InstanceInfo;
import dev.nest.spi.DriverHealth;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A node with the instances, start errors and pools a test sets; resizing checks the runtime and the size. */
final class FakeLocalNode implements LocalNode {
    final List<InstanceInfo> instances = new ArrayList<>();
    final Map<FunctionId, String> startErrors = new HashMap<>();
    final List<PoolStatus> pools = new ArrayList<>();
    DriverHealth health = DriverHealth.ok("fake driver");

    @Override
    public List<InstanceInfo> instances() {
        return List.copyOf(instances);
    }

    @Override
    public List<InstanceInfo> instances(FunctionId id) {
        return instances.stream().filter(i -> i.function().equals(id.toString())).toList();
    }

    @Override
    public Optional<String> lastStartError(FunctionId id) {
        return Optional.ofNullable(startErrors.get(id));
    }

    @Override
    public List<PoolStatus> pools() {
        return List.copyOf(pools);
    }

    @Override
    public void resizePool(String runtime, int size) {
        PoolStatus p = pools.stream().filter(x -> x.runtime().equals(runtime)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no runtime " + runtime));
        if (size < 0 || size > 8) {
            throw new IllegalArgumentException("pool size " + size + " is out of range; use 0 to 8");
        }
        pools.set(pools.indexOf(p), new PoolStatus(runtime, size, p.ready(), p.starting(), p.memoryMb(), p.hits(),
                p.misses(), p.lastError(), p.retryInMs()));
    }

    @Override
    public String driverName() {
        return "fake";
    }

    @Override
    public DriverHealth driverHealth() {
        return health;
    }
}
