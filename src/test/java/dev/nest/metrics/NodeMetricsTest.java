package dev.nest.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.pool.PoolStatus;
import dev.nest.sidecar.InstanceInfo;
import dev.nest.store.InvocationRecord;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeMetricsTest {
    private final NodeMetrics metrics = new NodeMetrics(
            () -> List.of(new PoolStatus("nodejs", 2, 1, 1, 128, 5, 3, "", 0)),
            () -> List.of(new InstanceInfo("i1", "default/a", 1, "READY", 0, 4, 20001, "p", 0.25, 50L * 1024 * 1024),
                    new InstanceInfo("i2", "default/a", 1, "READY", 1, 2, 20002, "p"),
                    new InstanceInfo("i3", "default/b", 2, "STARTING", 0, 0, 20003, "p")));

    private static InvocationRecord record(String fn, int status, double ms, boolean cold, Map<String, Double> phases) {
        return new InvocationRecord("inv", fn, 1, Instant.EPOCH, ms, status, cold, "i1", "", phases);
    }

    @Test
    void burstWorkersAreCountedPerFunctionAndMergedPod() {
        NodeMetrics m = new NodeMetrics(List::of, () -> List.of(
                new InstanceInfo("w1", "shop/busy", 1, "READY", 0, 1, 1, "p", -1, -1, "merged-1", true, -1, InstanceInfo.BURST),
                new InstanceInfo("w2", "shop/busy", 1, "READY", 0, 1, 2, "p", -1, -1, "merged-1", true, -1, InstanceInfo.BURST),
                new InstanceInfo("d1", "shop/busy", 1, "READY", 0, 1, 3, "p", -1, -1, "pod-d1", false, -1,
                        InstanceInfo.DEDICATED),
                new InstanceInfo("q1", "shop/quiet", 1, "READY", 0, 1, 4, "p", -1, -1, "merged-1", true, -1,
                        InstanceInfo.MERGED)));
        String text = m.render();
        assertTrue(text.contains("nest_burst_workers{function=\"shop/busy\",pod=\"merged-1\"} 2\n"), text);
        assertTrue(!text.contains("nest_burst_workers{function=\"shop/quiet\""), text);
        assertTrue(text.contains("nest_merged_instances{function=\"shop/busy\",pod=\"merged-1\"} 2\n"), text);
        assertTrue(text.contains("# TYPE nest_burst_workers gauge\n"), text);
    }

    @Test
    void rateLimitsAndBreakersAreScraped() {
        dev.nest.limits.DegradeStatus open = new dev.nest.limits.DegradeStatus("shop/a", dev.nest.limits.BreakerState.OPEN,
                Instant.EPOCH, 0, 0, 0, 7, 2, List.of());
        NodeMetrics m = new NodeMetrics(List::of, List::of,
                () -> List.of(new dev.nest.limits.RateLimited("shop/a", "token", 3)), () -> List.of(open));
        String text = m.render();
        assertTrue(text.contains("nest_rate_limited_total{function=\"shop/a\",limit=\"token\"} 3\n"), text);
        assertTrue(text.contains("nest_degrade_state{function=\"shop/a\",state=\"open\"} 1\n"), text);
        assertTrue(text.contains("nest_degrade_state{function=\"shop/a\",state=\"closed\"} 0\n"), text);
        assertTrue(text.contains("nest_degrade_state{function=\"shop/a\",state=\"half-open\"} 0\n"), text);
        assertTrue(text.contains("nest_degrade_opened_total{function=\"shop/a\"} 2\n"), text);
        assertTrue(text.contains("nest_degrade_fallbacks_total{function=\"shop/a\"} 7\n"), text);
        assertTrue(text.contains("# TYPE nest_degrade_state gauge\n"), text);
    }

    /** The Prometheus conventions, over every line of a full scrape. */
    @Test
    void theExpositionFollowsPrometheusConventions() {
        metrics.record(record("default/a", 200, 0.4, true, Map.of("pool", 1.0, "init", 0.05)));
        metrics.record(record("default/a", 500, 12_345.678, false, Map.of()));
        String text = metrics.render();
        java.util.Map<String, String> types = new java.util.HashMap<>();
        java.util.Set<String> helped = new java.util.HashSet<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# HELP ")) {
                helped.add(line.split(" ")[2]);
            } else if (line.startsWith("# TYPE ")) {
                String[] f = line.split(" ");
                types.put(f[2], f[3]);
                assertTrue(helped.contains(f[2]), "HELP before TYPE: " + line);
            } else {
                assertTrue(line.matches("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})? \\S+"), line);
                String name = line.replaceAll("[{ ].*", "");
                String family = types.containsKey(name) ? name : name.replaceAll("_(bucket|sum|count)$", "");
                assertTrue(types.containsKey(family), "no TYPE for " + line);
                String value = line.substring(line.lastIndexOf(' ') + 1);
                assertTrue(value.matches("-?\\d+(\\.\\d+)?|[+-]Inf|NaN"), "plain decimal value: " + line);
                if (line.contains("le=\"")) {
                    String le = line.replaceAll(".*le=\"([^\"]*)\".*", "$1");
                    assertTrue(le.matches("\\d+(\\.\\d+)?|\\+Inf"), "plain bucket bound: " + line);
                }
            }
        }
        types.forEach((name, type) -> {
            assertTrue(type.equals("counter") == name.endsWith("_total"), name + " is a " + type);
            assertTrue(!name.contains("_ms") && !name.contains("millis"), name + ": base units (seconds, bytes)");
        });
        assertTrue(text.contains("le=\"0.0025\"") && text.contains("le=\"30\"") && text.contains("le=\"2.5\""), text);
    }

    @Test
    void countsInvocationsByFunctionAndStatus() {
        metrics.record(record("default/a", 200, 0.4, false, Map.of("queue", 0.0, "exec", 0.3)));
        metrics.record(record("default/a", 200, 0.7, false, Map.of()));
        metrics.record(record("default/a", 504, 3000, false, Map.of()));
        String text = metrics.render();
        assertTrue(text.contains("nest_invocations_total{function=\"default/a\",status=\"200\"} 2\n"), text);
        assertTrue(text.contains("nest_invocations_total{function=\"default/a\",status=\"504\"} 1\n"), text);
        assertTrue(text.contains("nest_invocation_duration_seconds_bucket{function=\"default/a\",le=\"0.0005\"} 1\n"), text);
        assertTrue(text.contains("nest_invocation_duration_seconds_bucket{function=\"default/a\",le=\"0.001\"} 2\n"), text);
        assertTrue(text.contains("nest_invocation_duration_seconds_bucket{function=\"default/a\",le=\"+Inf\"} 3\n"), text);
        assertTrue(text.contains("nest_invocation_duration_seconds_count{function=\"default/a\"} 3\n"), text);
        assertTrue(text.contains("# TYPE nest_invocation_duration_seconds histogram\n"), text);
    }

    @Test
    void countsFromManyThreadsAddUpAndSeriesAreSortedByFunctionThenStatus() throws InterruptedException {
        int[] statuses = {503, 200, 404, 200, 500, 201};
        List<Thread> threads = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int offset = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 3_000; i++) {
                    metrics.record(record(i % 2 == 0 ? "b/z" : "a/y", statuses[(i + offset) % statuses.length], 1, false,
                            Map.of()));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        String text = metrics.render();
        List<String> lines = text.lines().filter(l -> l.startsWith("nest_invocations_total{")).toList();
        // each thread records 3,000: per function 1,500, spread over the statuses as (i + offset) % 6 says
        long total = lines.stream().mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
        assertEquals(12_000, total, text);
        assertEquals(List.of("a/y 200", "a/y 201", "a/y 404", "a/y 500", "a/y 503", "b/z 200", "b/z 201", "b/z 404",
                "b/z 500", "b/z 503"), lines.stream().map(l -> l.replaceAll(
                "nest_invocations_total\\{function=\"([^\"]+)\",status=\"(\\d+)\"\\} \\d+", "$1 $2")).toList());
        assertTrue(text.contains("nest_invocation_duration_seconds_count{function=\"a/y\"} 6000\n"), text);
        assertTrue(text.contains("nest_invocation_duration_seconds_count{function=\"b/z\"} 6000\n"), text);
    }

    @Test
    void coldInvocationsAreBrokenIntoPhasesAndPodSources() {
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put("queue", 0.1);
        phases.put("pool", 0.02);
        phases.put("load", 4.0);
        phases.put("exec", 1.0);
        metrics.record(record("default/a", 200, 6, true, phases));
        metrics.record(record("default/a", 200, 300, true, Map.of("pod", 280.0, "load", 5.0)));
        String text = metrics.render();
        assertTrue(text.contains("nest_cold_starts_total{function=\"default/a\",pod=\"pool\"} 1\n"), text);
        assertTrue(text.contains("nest_cold_starts_total{function=\"default/a\",pod=\"new\"} 1\n"), text);
        assertTrue(text.contains("nest_cold_start_seconds_count{function=\"default/a\"} 2\n"), text);
        assertTrue(text.contains("nest_cold_start_phase_seconds_count{function=\"default/a\",phase=\"load\"} 2\n"), text);
        assertTrue(text.contains("nest_cold_start_phase_seconds_bucket{function=\"default/a\",phase=\"pod\",le=\"0.25\"} 0\n"), text);
        assertTrue(text.contains("nest_cold_start_phase_seconds_bucket{function=\"default/a\",phase=\"pod\",le=\"0.5\"} 1\n"), text);
        assertTrue(text.contains("nest_cold_start_phase_seconds_sum{function=\"default/a\",phase=\"pod\"} 0.28\n"), text);
    }

    @Test
    void aFetchedPackageAddsItsFetchDecompressAndUnpackPhases() {
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put("queue", 0.1);
        phases.put("pool", 0.02);
        phases.put("fetch", 40.0);
        phases.put("decompress", 12.0);
        phases.put("unpack", 30.0);
        phases.put("load", 4.0);
        phases.put("exec", 1.0);
        metrics.record(record("default/f", 200, 70, true, phases));
        String text = metrics.render();
        for (String p : java.util.List.of("fetch", "decompress", "unpack")) {
            assertTrue(text.contains("nest_cold_start_phase_seconds_count{function=\"default/f\",phase=\"" + p + "\"} 1\n"), text);
        }
        assertTrue(text.contains("nest_cold_start_phase_seconds_bucket{function=\"default/f\",phase=\"fetch\",le=\"0.025\"} 0\n"), text);
        assertTrue(text.contains("nest_cold_start_phase_seconds_bucket{function=\"default/f\",phase=\"fetch\",le=\"0.05\"} 1\n"), text);
        assertTrue(text.contains("nest_cold_start_phase_seconds_sum{function=\"default/f\",phase=\"decompress\"} 0.012\n"), text);
    }

    @Test
    void gaugesAreReadAtEachScrape() {
        String text = metrics.render();
        assertTrue(text.contains("nest_pool_size{runtime=\"nodejs\"} 2\n"), text);
        assertTrue(text.contains("nest_pool_ready{runtime=\"nodejs\"} 1\n"), text);
        assertTrue(text.contains("nest_pool_starting{runtime=\"nodejs\"} 1\n"), text);
        assertTrue(text.contains("nest_pool_hits_total{runtime=\"nodejs\"} 5\n"), text);
        assertTrue(text.contains("nest_pool_misses_total{runtime=\"nodejs\"} 3\n"), text);
        assertTrue(text.contains("nest_instances{function=\"default/a\",state=\"ready\"} 2\n"), text);
        assertTrue(text.contains("nest_instances{function=\"default/b\",state=\"starting\"} 1\n"), text);
    }

    @Test
    void labelValuesAreEscaped() {
        assertEquals("{a=\"x\\\"y\\\\z\\n\"}", NodeMetrics.labels("a", "x\"y\\z\n"));
    }

    @Test
    void everyLineIsACommentOrASample() {
        metrics.record(record("default/a", 200, 1, true, Map.of("load", 1.0)));
        for (String line : metrics.render().split("\n")) {
            assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ")
                    || line.matches("[a-z_]+(\\{[^}]*})? [0-9.E+-]+"), line);
        }
    }

    @Test
    void measuredInstancesHaveCpuAndMemoryGauges() {
        String text = metrics.render();
        assertTrue(text.contains("# TYPE nest_instance_cpu_cores gauge\n"), text);
        assertTrue(text.contains("nest_instance_cpu_cores{function=\"default/a\",instance=\"i1\"} 0.25\n"), text);
        assertTrue(text.contains("nest_instance_memory_bytes{function=\"default/a\",instance=\"i1\"} 52428800\n"), text);
        assertTrue(!text.contains("instance=\"i2\""), "i2 is not measured: " + text);
    }
}
