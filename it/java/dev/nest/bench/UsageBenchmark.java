package dev.nest.bench;

import dev.nest.it.Fixtures;
import dev.nest.it.HostPods;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.DriverContext;
import dev.nest.spi.Pod;
import dev.nest.spi.PodSpec;
import dev.nest.spi.PodUsage;
import dev.nest.spi.SandboxDriver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the node agent's once-a-second usage sampling costs: for each sandbox driver, idle Node.js pods are started
 * as the node agent starts them, then {@link SandboxDriver#usage} is called on each: the first call (which finds a
 * container's cgroup: one inspect call for docker, a {@code /proc} read for containerd) and then {@code rounds}
 * back-to-back rounds over all pods (cgroup or {@code /proc} file reads only). Prints the time per read and what
 * sampling a node of 100 pods each second costs, and the memory each pod reads as. Knobs (system properties):
 * {@code nest.bench.pods} (10), {@code nest.bench.rounds} (200), {@code nest.bench.drivers}
 * (process,docker,containerd), {@code nest.bench.docs} (false: write the section of docs/BENCHMARKS.md),
 * {@code nest.bench.command}.
 */
public final class UsageBenchmark {
    static final String HEADING = "## Usage sampling (CPU and memory per pod)";
    private static final String NODE_ID = "usagebench" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffff);

    private record Result(String driver, int pods, List<Double> firstMs, List<Double> readUs, List<Double> memoryMb,
                          int empty) {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("nest.home", ".")).toAbsolutePath().normalize();
        int pods = Integer.getInteger("nest.bench.pods", 10);
        int rounds = Integer.getInteger("nest.bench.rounds", 200);
        List<String> drivers = List.of(System.getProperty("nest.bench.drivers", "process,docker,containerd").split(","));
        boolean docs = Boolean.parseBoolean(System.getProperty("nest.bench.docs", "false"));
        String command = System.getProperty("nest.bench.command", "distribution/bench-usage.sh");
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String load0 = Machine.loadAverage();
        RuntimeRegistry runtimes = RuntimeRegistry.load(root.resolve("runtimes"));
        RuntimeDefinition rt = runtimes.require("nodejs");
        Path tmp = Files.createTempDirectory("nest-usagebench-");
        List<Result> results = new ArrayList<>();
        for (String name : drivers) {
            try (SandboxDriver driver = driver(name.trim(), tmp)) {
                results.add(run(driver, runtimes, rt, tmp, pods, rounds));
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Measured %s on %d cores (`nproc`), Linux %s, cgroup %s; %s %s. Load average "
                        + "before / after: %s / %s (other work shares the cores).%n%n", date,
                Runtime.getRuntime().availableProcessors(), Machine.output(List.of("uname", "-r")),
                Files.isRegularFile(Path.of("/sys/fs/cgroup/cgroup.controllers")) ? "v2" : "v1",
                System.getProperty("java.vm.name"), Runtime.version(), load0, Machine.loadAverage()));
        sb.append("Command: `").append(command).append("` (").append(pods).append(" idle Node.js pods per driver, ")
                .append(rounds).append(" rounds).\n\n");
        sb.append("""
                `SandboxDriver.usage(pod)` as the node agent's sampler calls it once a second per ready instance. First \
                read: the first call per pod (docker: one `inspect` for the pod's pid, then its cgroup; containerd: the \
                task's pid to its cgroup; process: no lookup). Steady read: each later call (two or three cgroup files, \
                or `/proc/<pid>/stat` and `status` of the host's process tree), back to back over all pods. Per second \
                for 100 pods: the steady p50 times 100, as a share of one core. Memory: what the last read reported per \
                pod (docker, containerd: cgroup usage minus inactive file cache; process: resident set).

                | driver | first read p50 / max | steady read p50 / p99 | sampling 100 pods each second | memory per idle pod (p50) | empty reads |
                |---|---|---|---|---|---|
                """);
        Map<String, Double> coreShare = new LinkedHashMap<>();
        for (Result r : results) {
            double p50 = Stats.median(r.readUs());
            coreShare.put(r.driver(), sharePercent(p50));
            sb.append(String.format(Locale.ROOT, "| %s | %.2f / %.2f ms | %.1f / %.1f µs | %.3f%% of a core | %.1f MiB | %d of %d |%n",
                    r.driver(), Stats.median(r.firstMs()), Stats.max(r.firstMs()), p50, Stats.percentile(r.readUs(), 99),
                    coreShare.get(r.driver()), Stats.median(r.memoryMb()), r.empty(), r.readUs().size() + r.firstMs().size()));
        }
        sb.append(BenchBlock.tail(List.of(), rows(coreShare, command)));
        String report = sb.toString();
        System.out.println(report);
        if (docs) {
            BenchmarksDoc.writeSection(root.resolve("docs/BENCHMARKS.md"), HEADING, report);
            System.err.println("bench-usage: wrote section '" + HEADING + "' of docs/BENCHMARKS.md");
        }
    }

    /** Sampling 100 pods each second, as a percentage of one core, from the steady read's p50 in µs. */
    static double sharePercent(double steadyReadP50Us) {
        return steadyReadP50Us * 100 / 1e6 * 100;
    }

    /** The drivers row 150 quotes, in its order. */
    static final List<String> ROW_DRIVERS = List.of("process", "docker", "containerd");

    /**
     * Row 150 from the run's share of a core per driver ({@link #sharePercent}), written only when the run measured
     * every driver the row quotes (a run of fewer drivers leaves it out, and the recorded row is kept).
     */
    static List<BenchBlock.Row> rows(Map<String, Double> coreShare, String command) {
        if (!coreShare.keySet().containsAll(ROW_DRIVERS)) {
            return List.of();
        }
        return List.of(BenchBlock.row(150, "CPU and memory sampling of 100 pods each second (" + String.join(" / ",
                ROW_DRIVERS) + ")", "", "`" + command + "`", "%.1f%% / %.1f%% / %.1f%% of a core",
                ROW_DRIVERS.stream().map(coreShare::get).toArray()));
    }

    private static SandboxDriver driver(String name, Path tmp) {
        Map<String, String> options = name.equals("containerd") && System.getenv("NEST_CONTAINERD_ADDRESS") != null
                ? Map.of("address", System.getenv("NEST_CONTAINERD_ADDRESS")) : Map.of();
        return HostPods.driver(name, new DriverContext(NODE_ID, tmp.resolve("data-" + name), options));
    }

    private static Result run(SandboxDriver driver, RuntimeRegistry runtimes, RuntimeDefinition rt, Path tmp, int count,
                              int rounds) throws Exception {
        System.err.printf(Locale.ROOT, "bench-usage: %s: starting %d pods%n", driver.name(), count);
        List<Pod> pods = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                pods.add(start(driver, runtimes, rt, tmp, i));
            }
            List<Double> first = new ArrayList<>();
            List<Double> reads = new ArrayList<>();
            List<Double> memory = new ArrayList<>();
            int empty = 0;
            for (Pod p : pods) {
                long t0 = System.nanoTime();
                Optional<PodUsage> u = driver.usage(p);
                first.add((System.nanoTime() - t0) / 1e6);
                empty += u.isEmpty() ? 1 : 0;
            }
            Map<Pod, PodUsage> last = new LinkedHashMap<>();
            for (int r = 0; r < rounds; r++) {
                for (Pod p : pods) {
                    long t0 = System.nanoTime();
                    Optional<PodUsage> u = driver.usage(p);
                    reads.add((System.nanoTime() - t0) / 1e3);
                    if (u.isEmpty()) {
                        empty++;
                    } else {
                        last.put(p, u.get());
                    }
                }
            }
            last.values().forEach(u -> memory.add(u.memoryBytes() / (1024.0 * 1024.0)));
            return new Result(driver.name(), count, first, reads, memory.isEmpty() ? List.of(Double.NaN) : memory, empty);
        } finally {
            pods.parallelStream().forEach(p -> p.stop(Duration.ofSeconds(2)));
        }
    }

    private static Pod start(SandboxDriver driver, RuntimeRegistry runtimes, RuntimeDefinition rt, Path tmp, int i)
            throws Exception {
        int port = Fixtures.freePort();
        String secret = HostPods.secret();
        String podId = "usage-" + driver.name() + "-" + i;
        Map<String, String> labels = Map.of("dev.nest.owner", "nest", "dev.nest.node", NODE_ID,
                "dev.nest.function", "bench/usage", "dev.nest.version", "1");
        Path codeRoot = Files.createDirectories(tmp.resolve("code"));
        PodSpec spec = HostPods.spec(runtimes, rt, podId, port, secret, codeRoot, 1.0, 256, labels,
                tmp.resolve("pods").resolve(podId).resolve("work"));
        Pod pod = driver.start(spec, (id, stderr, line) -> { });
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest health = BenchAuth.request(URI.create("http://127.0.0.1:" + port + "/health"))
                .header("x-nest-secret", secret).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return pod;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            if (pod.exited().isDone() || System.nanoTime() > deadline) {
                pod.stop(Duration.ZERO);
                throw new IllegalStateException(driver.name() + " pod " + podId + " did not become healthy");
            }
            BenchHttp.sleep(20);
        }
    }
}
