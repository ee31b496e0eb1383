package dev.nest.load;

import dev.nest.function.FunctionId;
import dev.nest.scaler.InstanceLoad;
import dev.nest.scaler.LoadSource;
import dev.nest.sidecar.FunctionLoad;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The cluster's load per function, as the leader's scaler reads it: this node's own agent, read directly (no HTTP
 * to itself; with one node that is all there is), plus the latest report of every other node that reported within
 * {@link #EXPIRY}. Per function, the load of its newest version among the nodes is summed over the nodes (nodes
 * still on an older version for a moment are left out): ready, busy, in flight, starting, queued, CPU, memory and
 * the measured instances.
 *
 * <p>Requests served: each node's counter is monotonic only while its process lives, so the sum is not taken as
 * is. The growth of each node's counter since the previous reading is added to a cluster counter per function
 * version; a node seen for the first time (it joined, or this node just became leader), a node that restarted (new
 * {@code boot}) or whose counter went back, adds nothing for that reading; a node whose report expired simply stops
 * adding. So requests/s never goes negative and never jumps by a node's whole history.
 *
 * <p>Thread-safe: {@link #accept} runs on the admin server's request threads, {@link #load} on the scaler's; both
 * are short and synchronized on this object. Limits: a node's load reaches the leader up to a second late; the
 * leader's view of a node that stopped reporting keeps its last load for up to {@link #EXPIRY}.
 */
public final class ClusterLoad implements LoadSource {
    /** How long a node's report counts after it arrived. */
    public static final Duration EXPIRY = Duration.ofSeconds(3);
    private static final String LOCAL_BOOT = "local";

    private final String self;
    private final Supplier<Map<FunctionId, FunctionLoad>> local;
    private final LongSupplier nanos;
    private final Supplier<List<VersionTraffic>> localTraffic;
    private final Supplier<Map<FunctionId, Integer>> localParked;
    private final Supplier<Map<FunctionId, Integer>> localBurst;
    private final Map<String, Received> reports = new HashMap<>();
    private final Map<NodeFunction, Reading> readings = new HashMap<>();
    private final Map<FunctionId, Served> served = new HashMap<>();

    private record Received(String boot, Map<FunctionId, FunctionLoad> loads, long atNanos, List<VersionTraffic> traffic,
                            Map<FunctionId, Integer> parked, Map<FunctionId, Integer> burst) {
        Received(String boot, Map<FunctionId, FunctionLoad> loads, long atNanos) {
            this(boot, loads, atNanos, List.of(), Map.of(), Map.of());
        }
    }

    private record NodeFunction(String node, FunctionId id) {
    }

    private record Reading(String boot, int version, long served) {
    }

    private static final class Served {
        final int version;
        long total;

        Served(int version) {
            this.version = version;
        }
    }

    /**
     * @param self  this node's id (its own reports are ignored: its load is read from {@code local})
     * @param local this node's agent's load
     * @param nanos a monotonic clock ({@code System::nanoTime})
     */
    public ClusterLoad(String self, Supplier<Map<FunctionId, FunctionLoad>> local, LongSupplier nanos) {
        this(self, local, nanos, List::of);
    }

    /** @param localTraffic this node's requests per function version since it started (for {@link #traffic}) */
    public ClusterLoad(String self, Supplier<Map<FunctionId, FunctionLoad>> local, LongSupplier nanos,
                       Supplier<List<VersionTraffic>> localTraffic) {
        this(self, local, nanos, localTraffic, Map::of);
    }

    /** @param localParked this node's instances parked in merged pods, per function (for {@link #parked}) */
    public ClusterLoad(String self, Supplier<Map<FunctionId, FunctionLoad>> local, LongSupplier nanos,
                       Supplier<List<VersionTraffic>> localTraffic, Supplier<Map<FunctionId, Integer>> localParked) {
        this(self, local, nanos, localTraffic, localParked, Map::of);
    }

    /** @param localBurst this node's burst workers in merged pods, per function (for {@link #burst}) */
    public ClusterLoad(String self, Supplier<Map<FunctionId, FunctionLoad>> local, LongSupplier nanos,
                       Supplier<List<VersionTraffic>> localTraffic, Supplier<Map<FunctionId, Integer>> localParked,
                       Supplier<Map<FunctionId, Integer>> localBurst) {
        this.localBurst = localBurst;
        this.localParked = localParked;
        this.localTraffic = localTraffic;
        this.self = self;
        this.local = local;
        this.nanos = nanos;
    }

    /**
     * Takes a node's report (replacing its previous one) and returns the functions it says starved, for the caller to
     * wake the scaler.
     *
     * @throws IllegalArgumentException when an entry is not valid (named in the message)
     */
    public List<FunctionId> accept(LoadReport report) {
        Map<FunctionId, FunctionLoad> loads = new LinkedHashMap<>();
        for (LoadReport.Entry e : report.functions()) {
            FunctionLoad l = e.toLoad();
            loads.put(l.id(), l);
        }
        Map<FunctionId, Integer> parked = report.parkedByFunction();
        Map<FunctionId, Integer> burst = report.burstByFunction();
        List<FunctionId> starved = new ArrayList<>();
        for (String s : report.starved()) {
            starved.add(FunctionId.parse(s));
        }
        if (!report.node().equals(self)) {
            synchronized (this) {
                reports.put(report.node(), new Received(report.boot(), loads, nanos.getAsLong(), report.versions(), Map.copyOf(parked),
                        Map.copyOf(burst)));
            }
        }
        return starved;
    }

    /** The summed load of every function with instances or waiting requests on some node. */
    @Override
    public synchronized Map<FunctionId, InstanceLoad> load() {
        long now = nanos.getAsLong();
        reports.values().removeIf(r -> now - r.atNanos() > EXPIRY.toNanos());
        Map<String, Received> all = new LinkedHashMap<>();
        all.put(self, new Received(LOCAL_BOOT, local.get(), now));
        reports.forEach((node, r) -> all.putIfAbsent(node, r));

        Map<FunctionId, Integer> newest = new HashMap<>();
        all.values().forEach(r -> r.loads().values().forEach(l -> newest.merge(l.id(), l.version(), Math::max)));
        Map<FunctionId, long[]> sums = new TreeMap<>();
        Map<FunctionId, double[]> usage = new HashMap<>();
        Set<NodeFunction> seen = new HashSet<>();
        for (Map.Entry<String, Received> n : all.entrySet()) {
            for (FunctionLoad l : n.getValue().loads().values()) {
                NodeFunction key = new NodeFunction(n.getKey(), l.id());
                seen.add(key);
                Reading before = readings.put(key, new Reading(n.getValue().boot(), l.version(), l.served()));
                if (l.version() != newest.get(l.id())) {
                    continue;
                }
                long grown = before != null && before.boot().equals(n.getValue().boot()) && before.version() == l.version()
                        && l.served() >= before.served() ? l.served() - before.served() : 0;
                Served s = served.get(l.id());
                if (s == null || s.version != l.version()) {
                    s = new Served(l.version());
                    served.put(l.id(), s);
                }
                s.total += grown;
                long[] c = sums.computeIfAbsent(l.id(), k -> new long[6]);
                c[0] += l.ready();
                c[1] += l.busy();
                c[2] += l.inFlight();
                c[3] += l.starting();
                c[4] += l.queued();
                c[5] += l.measured();
                double[] u = usage.computeIfAbsent(l.id(), k -> new double[2]);
                u[0] += l.cpu();
                u[1] += l.memoryMb();
            }
        }
        readings.keySet().retainAll(seen);
        served.keySet().retainAll(newest.keySet());
        Map<FunctionId, InstanceLoad> out = new LinkedHashMap<>();
        sums.forEach((id, c) -> {
            double[] u = usage.get(id);
            out.put(id, new InstanceLoad(id, newest.get(id), (int) c[0], (int) c[1], (int) c[2], (int) c[3], (int) c[4],
                    served.get(id).total, u[0], u[1], (int) c[5]));
        });
        return out;
    }

    /**
     * Every node's requests per function version since it started, as last reported within {@link #EXPIRY} (this
     * node's read directly), keyed by {@code node/boot} so that a restarted node's counters are a new key. The
     * caller sums the growth of each key between two readings.
     */
    public synchronized Map<String, List<VersionTraffic>> traffic() {
        long now = nanos.getAsLong();
        Map<String, List<VersionTraffic>> out = new TreeMap<>();
        out.put(self + "/" + LOCAL_BOOT, localTraffic.get());
        reports.forEach((node, r) -> {
            if (now - r.atNanos() <= EXPIRY.toNanos() && !node.equals(self)) {
                out.put(node + "/" + r.boot(), r.traffic());
            }
        });
        return out;
    }

    /**
     * The functions that have an instance ready or starting on {@code node}, by its latest load (this node's read
     * directly, another's from a report within {@link #EXPIRY}); empty for a node not heard from. Fresher than the
     * ready-instance documents, which list an instance only once it is ready and are published at most every 200 ms:
     * the scaler, woken by the request that starts an instance, sees that instance here before it is ready.
     */
    public synchronized Set<FunctionId> active(String node) {
        Map<FunctionId, FunctionLoad> loads;
        if (node.equals(self)) {
            loads = local.get();
        } else {
            Received r = reports.get(node);
            if (r == null || nanos.getAsLong() - r.atNanos() > EXPIRY.toNanos()) {
                return Set.of();
            }
            loads = r.loads();
        }
        Set<FunctionId> out = new HashSet<>();
        loads.forEach((id, l) -> {
            if (l.ready() + l.starting() > 0) {
                out.add(id);
            }
        });
        return out;
    }

    /**
     * Per function, the instances {@code node} has parked in merged pods (their worker unloaded; ADR 0025), by its
     * latest load (this node's read directly, another's from a report within {@link #EXPIRY}); empty for a node not
     * heard from, so the scheduler then reserves every instance at its whole memory.
     */
    public synchronized Map<FunctionId, Integer> parked(String node) {
        if (node.equals(self)) {
            return Map.copyOf(localParked.get());
        }
        Received r = reports.get(node);
        if (r == null || nanos.getAsLong() - r.atNanos() > EXPIRY.toNanos()) {
            return Map.of();
        }
        return r.parked();
    }

    /**
     * Per function, the instances {@code node} started as burst workers in merged pods (ADR 0025), by its latest load
     * (as {@link #parked}); empty for a node not heard from, so the scheduler then reserves them as pods of their own.
     */
    public synchronized Map<FunctionId, Integer> burst(String node) {
        if (node.equals(self)) {
            return Map.copyOf(localBurst.get());
        }
        Received r = reports.get(node);
        if (r == null || nanos.getAsLong() - r.atNanos() > EXPIRY.toNanos()) {
            return Map.of();
        }
        return r.burst();
    }

    /** The nodes whose load counts now (this one and those that reported within {@link #EXPIRY}), for the API. */
    public synchronized Map<String, NodeLoad> nodes() {
        long now = nanos.getAsLong();
        Map<String, NodeLoad> out = new TreeMap<>();
        out.put(self, new NodeLoad(0, List.copyOf(local.get().values())));
        reports.forEach((node, r) -> {
            long age = now - r.atNanos();
            if (age <= EXPIRY.toNanos() && !node.equals(self)) {
                out.put(node, new NodeLoad(age / 1_000_000, List.copyOf(r.loads().values())));
            }
        });
        return out;
    }

    /**
     * One node's part of the cluster's load.
     *
     * @param ageMs     how old its report is (0 for this node, read directly)
     * @param functions its load per function
     */
    public record NodeLoad(long ageMs, List<FunctionLoad> functions) {
    }
}
