package dev.nest.bench;

import dev.nest.limits.Admission;
import dev.nest.metrics.NodeMetrics;
import dev.nest.release.TrafficCounters;
import dev.nest.report.ReportStore;
import dev.nest.store.InvocationRecord;
import dev.nest.store.NodeStore;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * CPU per invocation record of each consumer the gateway's records go to (the node store, the report roll-ups, the
 * node metrics, the breakers' admission, the release traffic counters) and of all of them together, as
 * {@code NestServer} wires them: records like a warm Node.js call's are offered at a fixed rate from two producer
 * threads (the gateway's two event loops on a 2-core machine), and the CPU every Java thread spent (producers,
 * writer threads, H2's background thread) is divided by the records. Also the bytes the producers allocate per
 * record. Not a test: a harness to run by hand, printing one line per consumer.
 *
 * <pre>
 *   java -cp target/test-classes:target/classes:$(deps) dev.nest.bench.RecordConsumersBenchmark [seconds] [rate/s]
 * </pre>
 *
 * Limits: the JVM's GC and JIT threads are not Java threads and are not counted (allocation is reported instead).
 */
public final class RecordConsumersBenchmark {
    private RecordConsumersBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        String only = args.length > 2 ? args[2] : "";
        Path dir = Files.createTempDirectory("nest-records-bench");
        Clock clock = Clock.systemUTC();
        NodeStore store = NodeStore.open(dir, clock, Duration.ofDays(7), 65_536);
        ReportStore reports = ReportStore.open(store.jdbcUrl(), clock, List::of);
        NodeMetrics metrics = new NodeMetrics(List::of, List::of);
        Admission admission = Admission.local(clock);
        TrafficCounters traffic = new TrafficCounters();
        Map<String, Consumer<InvocationRecord>> consumers = new LinkedHashMap<>();
        consumers.put("none", r -> { });
        consumers.put("store", store::record);
        consumers.put("report", reports);
        consumers.put("metrics", metrics::record);
        consumers.put("admission", admission::record);
        consumers.put("traffic", traffic);
        consumers.put("all", r -> {
            store.record(r);
            metrics.record(r);
            admission.record(r);
            traffic.accept(r);
            reports.accept(r);
        });
        for (int round = 0; round < 2; round++) {
            for (Map.Entry<String, Consumer<InvocationRecord>> e : consumers.entrySet()) {
                if (!only.isEmpty() && !only.contains(e.getKey())) {
                    continue;
                }
                Result r = run(e.getValue(), round == 0 ? 2 : seconds, rate, store, reports);
                if (round == 1) {
                    System.out.printf(Locale.ROOT, "%-10s %7.2f us CPU/record  (producers %5.2f, other threads %5.2f)"
                                    + "  %6.0f B allocated/record by producers  %d records, %d dropped%n", e.getKey(),
                            r.cpuNanos() / 1000.0 / r.records(), r.producerNanos() / 1000.0 / r.records(),
                            (r.cpuNanos() - r.producerNanos()) / 1000.0 / r.records(), r.allocated() / (double) r.records(),
                            r.records(), r.dropped());
                    r.threads().forEach((name, ns) -> {
                        if (ns / 1000.0 / r.records() >= 0.05) {
                            System.out.printf(Locale.ROOT, "             %-32s %6.2f us/record%n", name, ns / 1000.0 / r.records());
                        }
                    });
                }
            }
        }
        reports.close();
        store.close();
    }

    record Result(long records, long cpuNanos, long producerNanos, long allocated, long dropped, Map<String, Long> threads) {
    }

    private static Result run(Consumer<InvocationRecord> consumer, int seconds, int rate, NodeStore store,
                              ReportStore reports) throws Exception {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        store.flush();
        reports.flush();
        int producers = 2;
        long perProducer = (long) rate * seconds / producers;
        for (int p = 0; p < producers; p++) {
            made(p, perProducer); // made before the first reading: the gateway's cost of building them is not a consumer's
        }
        Map<Long, Long> before = cpu(mx);
        Map<Long, String> names = names(mx);
        long droppedBefore = store.dropped() + reports.dropped();
        long[] producerCpu = new long[producers];
        long[] allocated = new long[producers];
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int idx = p;
            InvocationRecord[] made = made(idx, perProducer);
            threads.add(Thread.ofPlatform().name("producer-" + p).start(() -> {
                long c0 = mx.getCurrentThreadCpuTime();
                long a0 = mx.getCurrentThreadAllocatedBytes();
                long periodNanos = 1_000_000; // a burst every millisecond, like requests finishing on a loop
                long perBurst = Math.max(1, (long) rate / producers / 1000);
                long next = System.nanoTime();
                long seq = 0;
                while (seq < perProducer) {
                    for (int i = 0; i < perBurst && seq < perProducer; i++, seq++) {
                        consumer.accept(made[(int) seq]);
                    }
                    next += periodNanos;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                producerCpu[idx] = mx.getCurrentThreadCpuTime() - c0;
                allocated[idx] = mx.getCurrentThreadAllocatedBytes() - a0;
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        Thread.sleep(300); // the writers' gather interval and their batch
        store.flush();
        reports.flush();
        Map<Long, Long> after = cpu(mx);
        names.putAll(names(mx));
        long total = 0;
        Map<String, Long> byThread = new HashMap<>();
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            total += d;
            byThread.merge(names.getOrDefault(e.getKey(), "?"), d, Long::sum);
        }
        long prod = 0;
        long alloc = 0;
        for (int p = 0; p < producers; p++) {
            prod += producerCpu[p];
            alloc += allocated[p];
            total += producerCpu[p]; // producer threads ended before the second reading
        }
        byThread.put("producers", prod);
        Map<String, Long> sorted = new LinkedHashMap<>();
        byThread.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return new Result(perProducer * producers, total, prod, alloc,
                store.dropped() + reports.dropped() - droppedBefore, sorted);
    }

    private static final Map<Long, InvocationRecord[]> MADE = new java.util.concurrent.ConcurrentHashMap<>();

    private static InvocationRecord[] made(int producer, long n) {
        return MADE.computeIfAbsent(producer * 1_000_000_000L + n, k -> {
            InvocationRecord[] out = new InvocationRecord[(int) n];
            for (int i = 0; i < out.length; i++) {
                out[i] = record(producer, i);
            }
            return out;
        });
    }

    private static final String[] PHASE_NAMES = {"queue", "exec"};

    /** A record like a warm call's: gateway id, trace id, two phases, no error. */
    static InvocationRecord record(int producer, long seq) {
        long now = System.currentTimeMillis();
        String id = String.format(Locale.ROOT, "%016x", now << 20 | (seq & 0xfffff)) + "a1b2c3d4" + producer;
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put(PHASE_NAMES[0], 0.004 + (seq % 7) * 0.001);
        phases.put(PHASE_NAMES[1], 0.41 + (seq % 13) * 0.01);
        return new InvocationRecord(id, "default/hello", 1, Instant.ofEpochMilli(now), 0.52 + (seq % 17) * 0.01, 200,
                false, "i-0123456789ab", "", phases, "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    private static Map<Long, Long> cpu(com.sun.management.ThreadMXBean mx) {
        Map<Long, Long> out = new HashMap<>();
        for (long id : mx.getAllThreadIds()) {
            long t = mx.getThreadCpuTime(id);
            if (t >= 0) {
                out.put(id, t);
            }
        }
        return out;
    }

    private static Map<Long, String> names(com.sun.management.ThreadMXBean mx) {
        Map<Long, String> out = new HashMap<>();
        for (var info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info != null) {
                out.put(info.getThreadId(), info.getThreadName());
            }
        }
        return out;
    }
}
