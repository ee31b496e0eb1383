package dev.nest.load;

import dev.nest.function.FunctionId;
import dev.nest.sidecar.FunctionLoad;
import java.util.List;
import java.util.Map;

/**
 * One node's load, as it sends it to the leader ({@code POST /api/v1/cluster/load}, JSON).
 *
 * @param node      the sending node's id
 * @param boot      a random id of the sending process, new at every start: a change tells the leader that the
 *                  node's request counters started again from zero
 * @param functions the live version of each function with instances or waiting requests on the node
 * @param starved   functions a request of which found no free instance since the previous report: the leader's
 *                  scaler decides at once instead of at its next second
 * @param versions  each function version's requests since the node started, for canary releases (absent from a
 *                  node that predates them)
 * @param parked    per function ({@code ns/name}), how many of its ready instances sit parked in a merged pod (their
 *                  worker unloaded for idleness; ADR 0025): the leader reserves those at what a parked function
 *                  holds. Absent from a node that predates it (then none is taken as parked)
 * @param burst     per function ({@code ns/name}), how many of its ready or starting instances the node started as
 *                  burst workers in a merged pod (ADR 0025): the leader accounts those as merged instances. Absent
 *                  from a node that predates it (then none is taken as a burst worker)
 */
public record LoadReport(String node, String boot, List<Entry> functions, List<String> starved,
                         List<VersionTraffic> versions, Map<String, Integer> parked, Map<String, Integer> burst) {
    public LoadReport {
        if (node == null || node.isBlank()) {
            throw new IllegalArgumentException("a load report needs the sending node's id ('node')");
        }
        if (boot == null || boot.isBlank()) {
            throw new IllegalArgumentException("the load report of node " + node + " needs its process id ('boot')");
        }
        functions = functions == null ? List.of() : List.copyOf(functions);
        starved = starved == null ? List.of() : List.copyOf(starved);
        versions = versions == null ? List.of() : List.copyOf(versions);
        parked = parked == null ? Map.of() : Map.copyOf(parked);
        burst = burst == null ? Map.of() : Map.copyOf(burst);
    }

    /** A report without burst workers. */
    public LoadReport(String node, String boot, List<Entry> functions, List<String> starved,
                      List<VersionTraffic> versions, Map<String, Integer> parked) {
        this(node, boot, functions, starved, versions, parked, Map.of());
    }

    /** A report without parked instances. */
    public LoadReport(String node, String boot, List<Entry> functions, List<String> starved,
                      List<VersionTraffic> versions) {
        this(node, boot, functions, starved, versions, Map.of());
    }

    /** A report without version traffic. */
    public LoadReport(String node, String boot, List<Entry> functions, List<String> starved) {
        this(node, boot, functions, starved, List.of());
    }

    /** One function's load on the node; the fields of {@link FunctionLoad}, with the function as {@code ns/name}. */
    public record Entry(String function, int version, int ready, int busy, int inFlight, int starting, int queued,
                        long served, double cpu, double memoryMb, int measured) {
        static Entry of(FunctionLoad l) {
            return new Entry(l.id().toString(), l.version(), l.ready(), l.busy(), l.inFlight(), l.starting(), l.queued(),
                    l.served(), l.cpu(), l.memoryMb(), l.measured());
        }

        /**
         * As a {@link FunctionLoad}.
         *
         * @throws IllegalArgumentException when a field is out of range (a negative count, a bad function name)
         */
        FunctionLoad toLoad() {
            if (version < 0 || ready < 0 || busy < 0 || inFlight < 0 || starting < 0 || queued < 0 || served < 0
                    || measured < 0 || !(cpu >= 0) || !(memoryMb >= 0)) {
                throw new IllegalArgumentException("load of " + function + " has a negative or missing number: " + this);
            }
            return new FunctionLoad(FunctionId.parse(function == null ? "" : function), version, ready, busy, inFlight,
                    starting, queued, served, cpu, memoryMb, measured);
        }
    }

    /** The report of {@code loads}. */
    static LoadReport of(String node, String boot, Map<FunctionId, FunctionLoad> loads, List<FunctionId> starved,
                         List<VersionTraffic> versions) {
        return of(node, boot, loads, starved, versions, Map.of());
    }

    /** The report of {@code loads} with {@code parked} instances per function. */
    static LoadReport of(String node, String boot, Map<FunctionId, FunctionLoad> loads, List<FunctionId> starved,
                         List<VersionTraffic> versions, Map<FunctionId, Integer> parked) {
        return of(node, boot, loads, starved, versions, parked, Map.of());
    }

    /** The report of {@code loads} with {@code parked} instances and {@code burst} workers per function. */
    static LoadReport of(String node, String boot, Map<FunctionId, FunctionLoad> loads, List<FunctionId> starved,
                         List<VersionTraffic> versions, Map<FunctionId, Integer> parked, Map<FunctionId, Integer> burst) {
        return new LoadReport(node, boot, loads.values().stream().map(Entry::of).toList(),
                starved.stream().map(FunctionId::toString).toList(), versions, byName(parked), byName(burst));
    }

    private static Map<String, Integer> byName(Map<FunctionId, Integer> counts) {
        Map<String, Integer> byName = new java.util.TreeMap<>();
        counts.forEach((id, n) -> byName.put(id.toString(), n));
        return byName;
    }

    /**
     * {@link #parked} by function.
     *
     * @throws IllegalArgumentException when a function name is not valid or a count is negative (named in the message)
     */
    Map<FunctionId, Integer> parkedByFunction() {
        return byFunction("parked", parked);
    }

    /**
     * {@link #burst} by function.
     *
     * @throws IllegalArgumentException when a function name is not valid or a count is negative (named in the message)
     */
    Map<FunctionId, Integer> burstByFunction() {
        return byFunction("burst", burst);
    }

    private Map<FunctionId, Integer> byFunction(String field, Map<String, Integer> counts) {
        Map<FunctionId, Integer> out = new java.util.LinkedHashMap<>();
        counts.forEach((name, n) -> {
            if (n == null || n < 0) {
                throw new IllegalArgumentException("load report of node " + node + ": '" + field + "' of " + name
                        + " is " + n + "; it must be a count >= 0");
            }
            if (n > 0) {
                out.put(FunctionId.parse(name), n);
            }
        });
        return out;
    }
}
