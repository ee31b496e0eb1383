package dev.nest.sidecar;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionVersion;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The {@link InstanceSet}s of this node, one per function version that has instances, waiters or a minimum here.
 * A set is created on first use and dropped by reconciliation once it is empty and its version is not live.
 * Thread-safe: the map is concurrent; each set guards itself.
 */
final class NodeInstances {
    private final Map<VersionKey, InstanceSet> sets = new ConcurrentHashMap<>();

    /** Map key of a version: cheap to hash (the id's strings cache their hashes). */
    private record VersionKey(FunctionId id, int version) {
        static VersionKey of(FunctionVersion v) {
            return new VersionKey(v.spec().id(), v.version());
        }
    }

    /** The set of {@code version}, created when there is none. */
    InstanceSet of(FunctionVersion version) {
        return sets.computeIfAbsent(VersionKey.of(version), k -> new InstanceSet(version));
    }

    /** The set of {@code version}, if there is one. */
    Optional<InstanceSet> find(FunctionVersion version) {
        return Optional.ofNullable(sets.get(VersionKey.of(version)));
    }

    Collection<InstanceSet> all() {
        return sets.values();
    }

    /** Drops {@code set} (unless another set of its version replaced it meanwhile). */
    void remove(InstanceSet set) {
        sets.remove(VersionKey.of(set.version()), set);
    }

    /** Takes every ready instance out of every set, for stopping them. */
    List<Instance> drainAll() {
        List<Instance> all = new ArrayList<>();
        for (InstanceSet set : sets.values()) {
            all.addAll(set.drainAll());
        }
        return all;
    }

    /** A snapshot of the load of each set whose version is {@code live}, by function. */
    Map<FunctionId, FunctionLoad> loads(Predicate<FunctionVersion> live) {
        Map<FunctionId, FunctionLoad> out = new LinkedHashMap<>();
        for (InstanceSet set : sets.values()) {
            if (live.test(set.version())) {
                out.put(set.version().spec().id(), set.load());
            }
        }
        return out;
    }

    /**
     * Per function, its ready instances of a {@code live} version that sit parked in a merged pod (their worker
     * unloaded for idleness, as last sampled); functions with none are left out. For the load report (ADR 0025).
     */
    Map<FunctionId, Integer> parked(Predicate<FunctionVersion> live) {
        Map<FunctionId, Integer> out = new LinkedHashMap<>();
        for (InstanceSet set : sets.values()) {
            if (live.test(set.version())) {
                int n = (int) set.instances().stream().filter(Instance::parked).count();
                if (n > 0) {
                    out.merge(set.version().spec().id(), n, Integer::sum);
                }
            }
        }
        return out;
    }

    /** Per function, its live version's burst workers in merged pods ({@link NodeAgent#burst}). */
    Map<FunctionId, Integer> burst(Predicate<FunctionVersion> live) {
        Map<FunctionId, Integer> out = new LinkedHashMap<>();
        for (InstanceSet set : sets.values()) {
            if (live.test(set.version())) {
                int n = (int) set.instances().stream().filter(i -> i.burst && i.merged()).count();
                if (n > 0) {
                    out.merge(set.version().spec().id(), n, Integer::sum);
                }
            }
        }
        return out;
    }

    /** A snapshot of the ready instances, for the API. */
    List<InstanceInfo> infos() {
        List<InstanceInfo> out = new ArrayList<>();
        for (InstanceSet set : sets.values()) {
            synchronized (set) {
                for (Instance i : set.instances()) {
                    double cpu = i.cpuCores();
                    long memory = i.memoryBytes();
                    // a merged Java instance has its own CPU but no memory of its own (its heap is the pod's)
                    boolean cpuMeasured = !Double.isNaN(cpu) && (memory >= 0 || i.merged());
                    boolean measured = !Double.isNaN(cpu) && memory >= 0;
                    double allocating = i.allocationBytesPerSecond();
                    out.add(new InstanceInfo(i.id(), i.version().spec().id().toString(), i.version().version(),
                            i.state().name(), i.inFlight, i.served, i.port(), i.pod() == null ? "" : i.pod().describe(),
                            cpuMeasured ? Math.round(cpu * 1000) / 1000.0 : -1, measured ? memory : -1,
                            i.membership().map(MergedPods.Membership::podId).orElse(i.pod() == null ? "" : i.pod().id()),
                            i.merged(), i.merged() && allocating >= 0 ? Math.round(allocating) : -1,
                            InstanceInfo.placement(i.merged(), i.burst)));
                }
            }
        }
        return out;
    }
}
