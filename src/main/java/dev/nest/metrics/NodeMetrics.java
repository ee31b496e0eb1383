package dev.nest.metrics;

import dev.nest.limits.BreakerState;
import dev.nest.limits.DegradeStatus;
import dev.nest.limits.RateLimited;
import dev.nest.pool.PoolStatus;
import dev.nest.sidecar.InstanceInfo;
import dev.nest.store.InvocationRecord;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * This node's metrics, written in the Prometheus text exposition format (version 0.0.4):
 * <ul>
 *   <li>{@code nest_invocations_total{function,status}}: invocations by function and HTTP status</li>
 *   <li>{@code nest_invocation_duration_seconds{function}}: histogram, gateway arrival to response</li>
 *   <li>{@code nest_cold_starts_total{function,pod}}: cold invocations by where their pod came from
 *       ({@code pool} or {@code new})</li>
 *   <li>{@code nest_cold_start_seconds{function}}: histogram of the whole cold invocation</li>
 *   <li>{@code nest_cold_start_phase_seconds{function,phase}}: histogram per phase of cold invocations (queue,
 *       placement, pool, pod, fetch, decompress, unpack, load, init, exec)</li>
 *   <li>{@code nest_pool_size}, {@code nest_pool_ready}, {@code nest_pool_starting}, {@code nest_pool_hits_total},
 *       {@code nest_pool_misses_total} by runtime</li>
 *   <li>{@code nest_instances{function,state}}: instances on this node</li>
 *   <li>{@code nest_instance_cpu_cores{function,instance}}, {@code nest_instance_memory_bytes{function,instance}}: what
 *       each instance's pod uses, sampled by the node agent once a second (instances the driver cannot measure are
 *       left out)</li>
 *   <li>{@code nest_rate_limited_total{function,limit}}: invocations refused with 429 by a rate limit
 *       ({@code function}, {@code namespace} or {@code token})</li>
 *   <li>{@code nest_degrade_state{function,state}}: 1 for the state each circuit breaker is in ({@code closed},
 *       {@code open}, {@code half-open}), 0 for the others; {@code nest_degrade_opened_total{function}} and
 *       {@code nest_degrade_fallbacks_total{function}}: how often it opened, and the calls served by its fallback
 *       (or refused for want of one)</li>
 * </ul>
 * Counters are kept since the node started. {@link #record} is called once per invocation on gateway threads:
 * one map lookup (its function) and adder increments, no allocation, a lock only when a function returns a status
 * for the first time. Written by hand rather than with a metrics library:
 * the handful of series needs ~200 lines and no extra classes at start-up.
 */
public final class NodeMetrics {
    /** Bucket upper bounds in seconds, from a warm call's fraction of a millisecond to a slow cold start. */
    static final double[] BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    /** Per function: invocations by status and the duration histogram (one lookup per record, no allocation). */
    private final Map<String, FunctionSeries> functions = new ConcurrentHashMap<>();
    private final Map<StatusKey, LongAdder> coldStarts = new ConcurrentHashMap<>();
    private final Map<String, Histogram> coldDurations = new ConcurrentHashMap<>();
    private final Map<StatusKey, Histogram> phases = new ConcurrentHashMap<>();
    private final Supplier<List<PoolStatus>> pools;
    private final Supplier<List<InstanceInfo>> instances;
    private final Supplier<List<RateLimited>> rateLimited;
    private final Supplier<List<DegradeStatus>> breakers;

    private record StatusKey(String function, String second) {
    }

    /**
     * @param pools     the pools of this node, read at each scrape
     * @param instances the instances of this node, read at each scrape
     */
    public NodeMetrics(Supplier<List<PoolStatus>> pools, Supplier<List<InstanceInfo>> instances) {
        this(pools, instances, List::of, List::of);
    }

    /**
     * @param rateLimited the gateway's 429s by function and limit, read at each scrape
     * @param breakers    the gateway's circuit breakers, read at each scrape
     */
    public NodeMetrics(Supplier<List<PoolStatus>> pools, Supplier<List<InstanceInfo>> instances,
                       Supplier<List<RateLimited>> rateLimited, Supplier<List<DegradeStatus>> breakers) {
        this.pools = pools;
        this.instances = instances;
        this.rateLimited = rateLimited;
        this.breakers = breakers;
    }

    /** Counts one finished invocation. */
    public void record(InvocationRecord r) {
        FunctionSeries f = functions.get(r.function());
        if (f == null) {
            f = functions.computeIfAbsent(r.function(), k -> new FunctionSeries());
        }
        f.count(r.status());
        f.durations.observe(r.durationMs() / 1000);
        if (r.cold()) {
            String pod = r.phases().containsKey("pool") ? "pool" : "new";
            coldStarts.computeIfAbsent(new StatusKey(r.function(), pod), k -> new LongAdder()).increment();
            coldDurations.computeIfAbsent(r.function(), k -> new Histogram()).observe(r.durationMs() / 1000);
            for (Map.Entry<String, Double> p : r.phases().entrySet()) {
                phases.computeIfAbsent(new StatusKey(r.function(), p.getKey()), k -> new Histogram())
                        .observe(p.getValue() / 1000);
            }
        }
    }

    /** The exposition text of every metric. */
    public String render() {
        StringBuilder out = new StringBuilder(4096);
        header(out, "nest_invocations_total", "counter", "Invocations by function and HTTP status.");
        Map<StatusKey, Long> invocations = new TreeMap<>(java.util.Comparator.comparing(StatusKey::function)
                .thenComparing(StatusKey::second));
        functions.forEach((fn, f) -> {
            for (FunctionSeries.StatusCount c : f.statuses) {
                invocations.put(new StatusKey(fn, Integer.toString(c.status())), c.count().sum());
            }
        });
        invocations.forEach((k, v) -> sample(out, "nest_invocations_total",
                labels("function", k.function(), "status", k.second()), v));
        header(out, "nest_invocation_duration_seconds", "histogram", "Gateway arrival to response written.");
        new TreeMap<>(functions).forEach((fn, f) -> f.durations.write(out, "nest_invocation_duration_seconds",
                labels("function", fn)));
        header(out, "nest_cold_starts_total", "counter", "Cold invocations by where the pod came from (pool or new).");
        sorted(coldStarts).forEach((k, v) -> sample(out, "nest_cold_starts_total",
                labels("function", k.function(), "pod", k.second()), v.sum()));
        header(out, "nest_cold_start_seconds", "histogram", "Whole cold invocations, arrival to response.");
        new TreeMap<>(coldDurations).forEach((fn, h) -> h.write(out, "nest_cold_start_seconds", labels("function", fn)));
        header(out, "nest_cold_start_phase_seconds", "histogram", "Phases of cold invocations.");
        sorted(phases).forEach((k, h) -> h.write(out, "nest_cold_start_phase_seconds",
                labels("function", k.function(), "phase", k.second())));

        List<PoolStatus> ps = pools.get();
        header(out, "nest_pool_size", "gauge", "Pods each runtime's warm pool keeps.");
        ps.forEach(p -> sample(out, "nest_pool_size", labels("runtime", p.runtime()), p.size()));
        header(out, "nest_pool_ready", "gauge", "Pool pods started, healthy and waiting.");
        ps.forEach(p -> sample(out, "nest_pool_ready", labels("runtime", p.runtime()), p.ready()));
        header(out, "nest_pool_starting", "gauge", "Pool pods being started.");
        ps.forEach(p -> sample(out, "nest_pool_starting", labels("runtime", p.runtime()), p.starting()));
        header(out, "nest_pool_hits_total", "counter", "Cold starts served by a pool pod.");
        ps.forEach(p -> sample(out, "nest_pool_hits_total", labels("runtime", p.runtime()), p.hits()));
        header(out, "nest_pool_misses_total", "counter", "Cold starts that found the pool empty.");
        ps.forEach(p -> sample(out, "nest_pool_misses_total", labels("runtime", p.runtime()), p.misses()));

        header(out, "nest_instances", "gauge", "Instances on this node by function and state.");
        Map<StatusKey, Integer> counts = new TreeMap<>(java.util.Comparator.comparing(StatusKey::function)
                .thenComparing(StatusKey::second));
        for (InstanceInfo i : instances.get()) {
            counts.merge(new StatusKey(i.function(), i.state().toLowerCase(java.util.Locale.ROOT)), 1, Integer::sum);
        }
        counts.forEach((k, n) -> sample(out, "nest_instances", labels("function", k.function(), "state", k.second()), n));

        List<InstanceInfo> measured = instances.get().stream().filter(i -> i.cpuCores() >= 0 || i.memoryBytes() >= 0)
                .sorted(java.util.Comparator.comparing(InstanceInfo::function).thenComparing(InstanceInfo::id)).toList();
        header(out, "nest_instance_cpu_cores", "gauge", "CPU cores each instance's pod used over the last second.");
        measured.stream().filter(i -> i.cpuCores() >= 0).forEach(i -> sample(out, "nest_instance_cpu_cores",
                labels("function", i.function(), "instance", i.id()), i.cpuCores()));
        header(out, "nest_instance_memory_bytes", "gauge", "Memory each instance's pod uses (working set).");
        measured.stream().filter(i -> i.memoryBytes() >= 0).forEach(i -> sample(out, "nest_instance_memory_bytes",
                labels("function", i.function(), "instance", i.id()), i.memoryBytes()));
        header(out, "nest_instance_allocation_bytes_per_second", "gauge", "Bytes per second an instance in a merged"
                + " Java pod allocated over the last 10 s (limited by sidecar.merged-allocation-budget).");
        instances.get().stream().filter(i -> i.allocationBytesPerSecond() >= 0)
                .sorted(java.util.Comparator.comparing(InstanceInfo::function).thenComparing(InstanceInfo::id))
                .forEach(i -> sample(out, "nest_instance_allocation_bytes_per_second",
                        labels("function", i.function(), "instance", i.id()), i.allocationBytesPerSecond()));
        header(out, "nest_merged_instances", "gauge", "Instances in merged pods by function and the pod that hosts them"
                + " (their CPU and memory above are their own: worker busy time and V8 heap).");
        Map<StatusKey, Integer> merged = new TreeMap<>(java.util.Comparator.comparing(StatusKey::function)
                .thenComparing(StatusKey::second));
        instances.get().stream().filter(InstanceInfo::merged)
                .forEach(i -> merged.merge(new StatusKey(i.function(), i.hostPod()), 1, Integer::sum));
        merged.forEach((k, n) -> sample(out, "nest_merged_instances", labels("function", k.function(), "pod", k.second()), n));
        header(out, "nest_burst_workers", "gauge", "Burst workers by function and the merged pod that hosts them:"
                + " instances of a function that runs in pods of its own, started beyond its steady need as workers in"
                + " a merged pod (also counted in nest_merged_instances).");
        Map<StatusKey, Integer> burst = new TreeMap<>(java.util.Comparator.comparing(StatusKey::function)
                .thenComparing(StatusKey::second));
        instances.get().stream().filter(i -> InstanceInfo.BURST.equals(i.placement()))
                .forEach(i -> burst.merge(new StatusKey(i.function(), i.hostPod()), 1, Integer::sum));
        burst.forEach((k, n) -> sample(out, "nest_burst_workers", labels("function", k.function(), "pod", k.second()), n));
        admission(out);
        added(out);
        return out.toString();
    }

    /** Samples from other modules (e.g. trigger sources), read at each scrape; see {@link MetricSample}. */
    private final List<Supplier<List<MetricSample>>> addedSamples = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * Adds samples another module publishes, read at each scrape on the scraping thread ({@code samples} must be
     * quick and must not block); a supplier that throws is skipped for that scrape.
     */
    public void addSamples(Supplier<List<MetricSample>> samples) {
        addedSamples.add(samples);
    }

    private void added(StringBuilder out) {
        Map<String, List<MetricSample>> byName = new java.util.LinkedHashMap<>();
        for (Supplier<List<MetricSample>> s : addedSamples) {
            try {
                s.get().forEach(m -> byName.computeIfAbsent(m.name(), k -> new java.util.ArrayList<>()).add(m));
            } catch (RuntimeException e) {
                java.util.logging.Logger.getLogger(NodeMetrics.class.getName()).fine("samples skipped: " + e);
            }
        }
        byName.forEach((name, list) -> {
            header(out, name, list.getFirst().type(), list.getFirst().help());
            list.forEach(m -> sample(out, name, labels(m.labels().toArray(String[]::new)), m.value()));
        });
    }

    private void admission(StringBuilder out) {
        header(out, "nest_rate_limited_total", "counter", "Invocations refused with 429 by a rate limit.");
        rateLimited.get().forEach(r -> sample(out, "nest_rate_limited_total",
                labels("function", r.function(), "limit", r.limit()), r.count()));
        List<DegradeStatus> bs = breakers.get();
        header(out, "nest_degrade_state", "gauge", "Circuit breaker state by function (1 for the current one).");
        for (DegradeStatus b : bs) {
            for (BreakerState st : BreakerState.values()) {
                sample(out, "nest_degrade_state", labels("function", b.function(), "state", st.key()),
                        b.state() == st ? 1 : 0);
            }
        }
        header(out, "nest_degrade_opened_total", "counter", "Times each circuit breaker opened.");
        bs.forEach(b -> sample(out, "nest_degrade_opened_total", labels("function", b.function()), b.opened()));
        header(out, "nest_degrade_fallbacks_total", "counter", "Calls served by the fallback while a breaker was not closed.");
        bs.forEach(b -> sample(out, "nest_degrade_fallbacks_total", labels("function", b.function()), b.fallbacks()));
    }

    private static <V> Map<StatusKey, V> sorted(Map<StatusKey, V> m) {
        Map<StatusKey, V> out = new TreeMap<>(java.util.Comparator.comparing(StatusKey::function)
                .thenComparing(StatusKey::second));
        out.putAll(m);
        return out;
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, String labels, double value) {
        out.append(name).append(labels).append(' ').append(number(value)).append('\n');
    }

    /** A sample value or bucket bound in plain decimal ({@code 0.0005}, {@code 2.5}, {@code 30}), never {@code 5.0E-4}. */
    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
        }
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    /** {@code {k="v",...}} with the values escaped as the format requires. */
    static String labels(String... kv) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < kv.length; i += 2) {
            if (i > 0) {
                b.append(',');
            }
            b.append(kv[i]).append("=\"");
            String v = kv[i + 1];
            for (int c = 0; c < v.length(); c++) {
                char ch = v.charAt(c);
                switch (ch) {
                    case '\\' -> b.append("\\\\");
                    case '"' -> b.append("\\\"");
                    case '\n' -> b.append("\\n");
                    default -> b.append(ch);
                }
            }
            b.append('"');
        }
        return b.append('}').toString();
    }

    /**
     * One function's invocation counts by status and its duration histogram. A function sees a handful of statuses:
     * they are kept in a small array that is copied when a new status appears (rare, under the lock) and scanned
     * without a lock otherwise.
     */
    static final class FunctionSeries {
        record StatusCount(int status, LongAdder count) {
        }

        final Histogram durations = new Histogram();
        private volatile StatusCount[] statuses = new StatusCount[0];

        void count(int status) {
            StatusCount[] all = statuses;
            for (int i = 0; i < all.length; i++) {
                StatusCount c = all[i];
                if (c.status == status) {
                    c.count.increment();
                    return;
                }
            }
            added(status).increment();
        }

        private synchronized LongAdder added(int status) {
            for (StatusCount c : statuses) {
                if (c.status == status) {
                    return c.count;
                }
            }
            StatusCount c = new StatusCount(status, new LongAdder());
            StatusCount[] next = java.util.Arrays.copyOf(statuses, statuses.length + 1);
            next[next.length - 1] = c;
            statuses = next;
            return c.count;
        }
    }

    /** A cumulative histogram over {@link #BUCKETS}. */
    static final class Histogram {
        private final LongAdder[] counts = new LongAdder[BUCKETS.length + 1];
        private final DoubleAdder sum = new DoubleAdder();

        Histogram() {
            for (int i = 0; i < counts.length; i++) {
                counts[i] = new LongAdder();
            }
        }

        void observe(double seconds) {
            int i = 0;
            while (i < BUCKETS.length && seconds > BUCKETS[i]) {
                i++;
            }
            counts[i].increment();
            sum.add(seconds);
        }

        void write(StringBuilder out, String name, String labels) {
            String inner = labels.substring(1, labels.length() - 1);
            long cumulative = 0;
            for (int i = 0; i < counts.length; i++) {
                cumulative += counts[i].sum();
                String le = i < BUCKETS.length ? number(BUCKETS[i]) : "+Inf";
                out.append(name).append("_bucket{").append(inner).append(",le=\"").append(le).append("\"} ")
                        .append(cumulative).append('\n');
            }
            out.append(name).append("_sum").append(labels).append(' ').append(number(sum.sum())).append('\n');
            out.append(name).append("_count").append(labels).append(' ').append(cumulative).append('\n');
        }
    }
}
