package dev.nest.cluster;

import dev.nest.function.FunctionId;
import dev.nest.pool.PoolStatus;
import dev.nest.sidecar.InstanceInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the node agent reports, as this node publishes it ({@link Cluster#publishReady}): its ready instances counted
 * per function version, and its warm pools' ready pods per runtime. Pure functions.
 */
public final class ReadyCounts {
    private ReadyCounts() {
    }

    /**
     * The {@code READY} instances among {@code instances} and the invocations they run, per function version, ordered
     * by function then version.
     *
     * @throws IllegalArgumentException when an instance names no valid function
     */
    public static List<ReadyCount> of(Collection<InstanceInfo> instances) {
        record Key(String function, int version) {
        }
        Map<Key, int[]> counts = new LinkedHashMap<>();
        instances.stream().filter(i -> i.state().equals("READY"))
                .sorted(Comparator.comparing(InstanceInfo::function).thenComparingInt(InstanceInfo::version))
                .forEach(i -> {
                    int[] c = counts.computeIfAbsent(new Key(i.function(), i.version()), k -> new int[2]);
                    c[0]++;
                    c[1] += i.inFlight();
                });
        List<ReadyCount> out = new ArrayList<>(counts.size());
        counts.forEach((k, c) -> out.add(new ReadyCount(FunctionId.parse(k.function()), k.version(), c[0], c[1])));
        return out;
    }

    /** The ready pods of each runtime's warm pool, ordered by runtime. */
    public static Map<String, Integer> warmPods(Collection<PoolStatus> pools) {
        Map<String, Integer> out = new TreeMap<>();
        pools.forEach(p -> out.put(p.runtime(), p.ready()));
        return out;
    }
}
