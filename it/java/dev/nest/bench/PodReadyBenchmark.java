package dev.nest.bench;

import dev.nest.it.Fixtures;
import dev.nest.it.HostPods;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.DriverContext;
import dev.nest.spi.Pod;
import dev.nest.spi.PodSpec;
import dev.nest.spi.SandboxDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Time to a ready pod (driver asked for a pod -> host answers {@code GET /health} 200 ready) for the
 * {@code process}, {@code docker} and {@code containerd} drivers and for {@code docker run -d --rm --network host IMAGE} of the
 * same image as a baseline, plus resident memory per idle pod. Knobs (system properties):
 * {@code nest.bench.pods} (20), {@code nest.bench.idle} (5), {@code nest.bench.runtimes} (nodejs,java),
 * {@code nest.bench.docs} (false: write the section of docs/BENCHMARKS.md), {@code nest.bench.command}.
 */
public final class PodReadyBenchmark {
    static final String HEADING = "## Pod start (sandbox drivers)";
    private static final String NODE_ID = "podbench" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffff);
    private static final String BASELINE_LABEL = "dev.nest.bench=" + NODE_ID;
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    private static final AtomicInteger SEQ = new AtomicInteger();

    private final Path root;
    private final Path tmp;
    private final RuntimeRegistry runtimes;
    private final SandboxDriver process;
    private final SandboxDriver docker;
    private final SandboxDriver containerd;
    private final SandboxDriver containerdPrepared;
    private final List<String> leftoverBaselines = new ArrayList<>();

    private PodReadyBenchmark(Path root, Path tmp) {
        this.root = root;
        this.tmp = tmp;
        this.runtimes = RuntimeRegistry.load(root.resolve("runtimes"));
        this.process = driver("process");
        this.docker = driver("docker");
        this.containerd = driver("containerd", Map.of(), "containerd");
        this.containerdPrepared = driver("containerd", Map.of("prepared", "1"), "containerd-prepared");
    }

    private SandboxDriver driver(String name) {
        return driver(name, Map.of(), name);
    }

    private SandboxDriver driver(String name, Map<String, String> extra, String data) {
        Map<String, String> options = new java.util.HashMap<>(extra);
        if (name.equals("containerd") && System.getenv("NEST_CONTAINERD_ADDRESS") != null) {
            options.put("address", System.getenv("NEST_CONTAINERD_ADDRESS"));
        }
        return HostPods.driver(name, new DriverContext(NODE_ID, tmp.resolve("data-" + data), options));
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("nest.home", ".")).toAbsolutePath().normalize();
        int pods = Integer.getInteger("nest.bench.pods", 20);
        int idle = Integer.getInteger("nest.bench.idle", 5);
        List<String> names = List.of(System.getProperty("nest.bench.runtimes", "nodejs,java").split(","));
        boolean docs = Boolean.parseBoolean(System.getProperty("nest.bench.docs", "false"));
        String command = System.getProperty("nest.bench.command", "distribution/bench-pods.sh");
        Path tmp = Files.createTempDirectory("nest-podbench-");
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String load0 = Machine.loadAverage();
        PodReadyBenchmark b = new PodReadyBenchmark(root, tmp);
        List<PodReadyResult> results = new ArrayList<>();
        try {
            for (String name : names) {
                results.add(b.run(name.trim(), pods, idle));
            }
        } finally {
            b.close();
            deleteTree(tmp);
        }
        String report = report(results, pods, idle, date, command, load0, Machine.loadAverage(), root, b.leftovers());
        System.out.println(report);
        String resultsFile = System.getenv("NEST_BENCH_RESULTS");
        if (resultsFile != null && !resultsFile.isBlank()) {
            Files.writeString(Path.of(resultsFile), HEADING + "\n\n" + report);
        }
        if (docs) {
            BenchmarksDoc.writeSection(root.resolve("docs/BENCHMARKS.md"), HEADING, report);
            System.err.println("bench-pods: wrote section '" + HEADING + "' of docs/BENCHMARKS.md");
        }
    }

    // ---- one runtime --------------------------------------------------------------------------------------

    private PodReadyResult run(String runtimeName, int pods, int idle) throws Exception {
        RuntimeDefinition rt = runtimes.require(runtimeName);
        System.err.printf(Locale.ROOT, "bench-pods: %s: %d pods per mode (+1 warm-up each), image %s%n", rt.name(), pods, rt.image());
        PodReadyResult r = new PodReadyResult(rt.name(), rt.image());
        // one unrecorded warm-up of each mode, then the modes interleaved so that drift hits all of them alike
        startDriverPod(process, rt).stop();
        startDriverPod(docker, rt).stop();
        startDriverPod(containerd, rt).stop();
        startDriverPod(containerdPrepared, rt).stop();
        boolean java = rt.name().equals("java");
        if (java) {
            startDriverPod(containerd, rt, NO_AOT).stop();
        }
        startBaseline(rt).stop();
        for (int i = 0; i < pods; i++) {
            Started p = startDriverPod(process, rt);
            r.processStop.add(p.timedStop());
            Started d = startDriverPod(docker, rt);
            r.dockerStop.add(d.timedStop());
            Started c = startDriverPod(containerd, rt);
            phases(c.describe, r.containerdPhases);
            r.containerdStop.add(c.timedStop());
            Started cp = startDriverPod(containerdPrepared, rt);
            phases(cp.describe, r.preparedPhases);
            r.containerdPreparedStop.add(cp.timedStop());
            r.containerdPrepared.add(cp.readyMs);
            if (java) {
                Started na = startDriverPod(containerd, rt, NO_AOT);
                r.containerdNoAotStop.add(na.timedStop());
                r.containerdNoAot.add(na.readyMs);
            }
            Started base = startBaseline(rt);
            r.baselineStop.add(base.timedStop());
            r.process.add(p.readyMs);
            r.docker.add(d.readyMs);
            r.containerd.add(c.readyMs);
            r.baseline.add(base.readyMs);
            System.err.printf(Locale.ROOT, "bench-pods: %s #%d process %.1f ms, docker %.1f ms, containerd %.1f ms, "
                            + "containerd prepared %.1f ms, docker run %.1f ms%n",
                    rt.name(), i + 1, p.readyMs, d.readyMs, c.readyMs, cp.readyMs, base.readyMs);
        }
        r.processMemMb = idleMemory(rt, idle, "process");
        r.dockerMemMb = idleMemory(rt, idle, "docker");
        r.containerdMemMb = idleMemory(rt, idle, "containerd");
        r.baselineMemMb = idleMemory(rt, idle, "baseline");
        return r;
    }

    /** Starts {@code count} pods, waits until all are ready and 2 s more, reads their memory, stops them. */
    private double[] idleMemory(RuntimeDefinition rt, int count, String mode) throws Exception {
        List<Started> started = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                started.add(switch (mode) {
                    case "process" -> startDriverPod(process, rt);
                    case "docker" -> startDriverPod(docker, rt);
                    case "containerd" -> startDriverPod(containerd, rt);
                    default -> startBaseline(rt);
                });
            }
            Thread.sleep(2_000);
            double stats = 0;
            double rss = 0;
            for (Started s : started) {
                double[] m = s.residentMb();
                stats += m[0];
                rss += m[1];
            }
            double[] avg = {stats / count, rss / count};
            System.err.printf(Locale.ROOT, "bench-pods: %s %s: %.1f MiB (docker stats), %.1f MiB (VmRSS) per idle pod (%d pods)%n",
                    rt.name(), mode, avg[0], avg[1], count);
            return avg;
        } finally {
            for (Started s : started) {
                s.stop();
            }
        }
    }

    // ---- starting pods -------------------------------------------------------------------------------------

    /** The Java host's AOT cache turned off: the launcher reads JDK_JAVA_OPTIONS; the image's command line sets no AOTMode. */
    private static final Map<String, String> NO_AOT = Map.of("JDK_JAVA_OPTIONS", "-XX:AOTMode=off");

    private Started startDriverPod(SandboxDriver driver, RuntimeDefinition rt) throws IOException {
        return startDriverPod(driver, rt, Map.of());
    }

    private Started startDriverPod(SandboxDriver driver, RuntimeDefinition rt, Map<String, String> env) throws IOException {
        int port = Fixtures.freePort();
        String secret = HostPods.secret();
        String podId = "bench-" + rt.name() + "-" + driver.name() + "-" + SEQ.incrementAndGet();
        Map<String, String> labels = Map.of("dev.nest.owner", "nest", "dev.nest.node", NODE_ID,
                "dev.nest.function", "bench/pod-ready", "dev.nest.version", "1");
        Path codeRoot = tmp.resolve("code");
        Files.createDirectories(codeRoot);
        PodSpec base = HostPods.spec(runtimes, rt, podId, port, secret, codeRoot, 1.0, 256, labels,
                tmp.resolve("pods").resolve(podId).resolve("work"));
        Map<String, String> allEnv = new java.util.LinkedHashMap<>(base.env());
        allEnv.putAll(env);
        PodSpec spec = new PodSpec(base.podId(), base.runtime(), base.image(), base.command(), allEnv, base.runtimeDir(),
                base.codeRoot(), base.address(), base.port(), base.memoryBytes(), base.cpus(), base.pids(), base.labels(),
                base.workDir());
        List<String> recent = java.util.Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        Pod pod = driver.start(spec, (id, stderr, line) -> {
            if (recent.size() < 20) {
                recent.add(line);
            }
        });
        try {
            awaitReady(port, secret, t0, () -> pod.exited().isDone(), driver.name() + " pod " + podId, recent);
        } catch (RuntimeException e) {
            pod.stop(Duration.ZERO);
            throw e;
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        return new Started(ms, () -> pod.stop(Duration.ofSeconds(2)), () -> driverPodMemory(driver, pod, podId), pod.describe());
    }

    private Started startBaseline(RuntimeDefinition rt) throws IOException {
        int port = Fixtures.freePort();
        String secret = HexFormat.of().formatHex(java.security.SecureRandom.getSeed(16));
        String name = "nest-bench-" + NODE_ID + "-" + SEQ.incrementAndGet();
        synchronized (leftoverBaselines) {
            leftoverBaselines.add(name);
        }
        List<String> argv = List.of("docker", "run", "-d", "--rm", "--network", "host", "--name", name,
                "--label", BASELINE_LABEL, "-e", "NEST_HOST_PORT=" + port, "-e", "NEST_HOST_ADDRESS=127.0.0.1",
                "-e", "NEST_HOST_SECRET=" + secret, rt.image());
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            awaitReady(port, secret, t0, () -> p.isAlive() ? false : p.exitValue() != 0, "docker run " + name, List.of());
        } catch (RuntimeException e) {
            removeContainer(name);
            throw e;
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        return new Started(ms, "", () -> {
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            removeContainer(name);
        }, () -> containerMemory(name));
    }

    private void removeContainer(String name) {
        run(List.of("docker", "rm", "-f", "-v", name));
        synchronized (leftoverBaselines) {
            leftoverBaselines.remove(name);
        }
    }

    /** Polls {@code GET /health} every 2 ms (50 ms connect time-out) until 200 with "ready":true. */
    private static void awaitReady(int port, String secret, long t0, java.util.function.BooleanSupplier dead, String what,
                                   List<String> recent) {
        byte[] request = ("GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nX-Nest-Secret: " + secret
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        InetSocketAddress addr = new InetSocketAddress("127.0.0.1", port);
        while (true) {
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.connect(addr, 50);
                s.setSoTimeout(2_000);
                OutputStream out = s.getOutputStream();
                out.write(request);
                out.flush();
                InputStream in = s.getInputStream();
                String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                if (response.startsWith("HTTP/1.1 200") && response.replace(" ", "").contains("\"ready\":true")) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (dead.getAsBoolean()) {
                throw new IllegalStateException(what + " exited before it was ready; output: " + String.join(" | ", recent));
            }
            if (System.nanoTime() - t0 > TIMEOUT_NS) {
                throw new IllegalStateException(what + " not ready within 60 s; output: " + String.join(" | ", recent));
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
        }
    }

    // ---- memory ------------------------------------------------------------------------------------------

    private static double[] driverPodMemory(SandboxDriver driver, Pod pod, String podId) {
        if (driver.name().equals("process")) {
            long pid = Long.parseLong(pod.describe().replace("pid ", "").trim());
            return new double[] {Double.NaN, processTreeMb(pid)};
        }
        if (driver.name().equals("containerd")) {
            return containerdMemory(pod.describe());
        }
        return containerMemory("nest-" + podId.replaceAll("[^a-zA-Z0-9_.-]", "-"));
    }

    /** docker stats of the container, and the VmRSS of its processes as seen from the host. */
    private static double[] containerMemory(String container) {
        double stats = dockerStatsMb(container);
        String pid = run(List.of("docker", "inspect", "--format", "{{.State.Pid}}", container)).trim();
        return new double[] {stats, processTreeMb(Long.parseLong(pid))};
    }

    /**
     * A containerd pod ({@code describe()}: "container ID (..., pid N; ...)"): its memory cgroup's usage less
     * inactive file pages (what docker stats shows on cgroup v1), and the VmRSS of its process tree.
     */
    private static double[] containerdMemory(String describe) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^container (\\S+) .*pid (\\d+);").matcher(describe);
        if (!m.find()) {
            throw new IllegalStateException("cannot read the container id and pid from '" + describe + "'");
        }
        Path cg = Path.of("/sys/fs/cgroup/memory/nest", m.group(1));
        double stats = Double.NaN;
        try {
            long usage = Long.parseLong(Files.readString(cg.resolve("memory.usage_in_bytes")).trim());
            long inactive = 0;
            for (String l : Files.readAllLines(cg.resolve("memory.stat"))) {
                if (l.startsWith("total_inactive_file ")) {
                    inactive = Long.parseLong(l.substring(l.indexOf(' ') + 1).trim());
                }
            }
            stats = (usage - inactive) / (1024.0 * 1024.0);
        } catch (IOException | NumberFormatException e) {
            System.err.println("bench-pods: cannot read the memory cgroup " + cg + " (cgroup v1 only): " + e);
        }
        return new double[] {stats, processTreeMb(Long.parseLong(m.group(2)))};
    }

    /** Adds the phases of a containerd pod's {@code describe()} ("...; start: lease 1.2 ms, image 0.8 ms, ...)"). */
    static void phases(String describe, Map<String, List<Double>> into) {
        int i = describe.indexOf("start: ");
        if (i < 0) {
            return;
        }
        String list = describe.substring(i + 7, describe.lastIndexOf(')'));
        for (String part : list.split(", ")) {
            String[] w = part.trim().split(" ");
            if (w.length == 3) {
                into.computeIfAbsent(w[0], k -> new ArrayList<>()).add(Double.parseDouble(w[1]));
            }
        }
    }

    private static double processTreeMb(long pid) {
        long kb = rssKb(pid);
        for (ProcessHandle c : ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of())) {
            kb += rssKb(c.pid());
        }
        return kb / 1024.0;
    }

    private static long rssKb(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException gone) {
            // exited meanwhile
        }
        return 0;
    }

    /** {@code docker stats --no-stream --format {{.MemUsage}}}: "12.3MiB / 128MiB" -> 12.3. */
    private static double dockerStatsMb(String container) {
        String out = run(List.of("docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", container)).trim();
        String used = out.split("/")[0].trim();
        double factor = 1;
        String num = used;
        for (String[] unit : new String[][] {{"GiB", "1024"}, {"MiB", "1"}, {"KiB", "0.0009765625"}, {"kB", "0.00095367"},
                {"MB", "0.95367"}, {"GB", "976.5625"}, {"B", "0.00000095367"}}) {
            if (used.endsWith(unit[0])) {
                num = used.substring(0, used.length() - unit[0].length());
                factor = Double.parseDouble(unit[1]);
                break;
            }
        }
        try {
            return Double.parseDouble(num.trim()) * factor;
        } catch (NumberFormatException e) {
            throw new IllegalStateException("cannot read docker stats of " + container + ": " + out);
        }
    }

    static String run(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            p.waitFor(60, TimeUnit.SECONDS);
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    // ---- clean-up ----------------------------------------------------------------------------------------

    private void close() {
        List<String> names;
        synchronized (leftoverBaselines) {
            names = List.copyOf(leftoverBaselines);
        }
        names.forEach(this::removeContainer);
        process.close();
        docker.close();
        containerd.close();
        containerdPrepared.close();
    }

    /** What is left after the run: containers of this node or baseline label, and the process driver's pod dirs. */
    private String leftovers() {
        String driverContainers = run(List.of("docker", "ps", "-aq", "--filter", "label=dev.nest.node=" + NODE_ID)).trim();
        String address = System.getenv().getOrDefault("NEST_CONTAINERD_ADDRESS", "/run/nest/containerd/containerd.sock");
        String ctrd = run(List.of("ctr", "-a", address, "-n", "nest", "containers", "ls", "-q",
                "labels.\"dev.nest.node\"==" + NODE_ID)).trim();
        int cc = ctrd.isEmpty() ? 0 : ctrd.split("\\s+").length;
        String baseline = run(List.of("docker", "ps", "-aq", "--filter", "label=" + BASELINE_LABEL)).trim();
        long hosts = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count();
        int c = driverContainers.isEmpty() ? 0 : driverContainers.split("\\s+").length;
        int bc = baseline.isEmpty() ? 0 : baseline.split("\\s+").length;
        String s = c + " docker driver containers, " + cc + " containerd driver containers, " + bc + " baseline containers, "
                + hosts + " child processes";
        System.err.println("bench-pods: left over after the run: " + s);
        return s;
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // temp dir
        }
    }

    // ---- report ------------------------------------------------------------------------------------------

    static String report(List<PodReadyResult> results, int pods, int idle, String date, String command, String load0,
                         String load1, Path root, String leftovers) {
        StringBuilder sb = new StringBuilder();
        String cpu = Machine.output(List.of("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")).trim();
        String commit = Machine.output(List.of("git", "-C", root.toString(), "rev-parse", "--short", "HEAD"));
        String dirty = Machine.output(List.of("git", "-C", root.toString(), "status", "--porcelain", "--untracked-files=no"));
        if (!dirty.isEmpty() && !dirty.equals("unknown")) {
            commit += " + uncommitted changes";
        }
        String bench = Machine.output(List.of("git", "-C", root.toString(), "status", "--porcelain", "--",
                "it/java/dev/nest/bench", "distribution/bench-pods.sh"));
        if (!bench.isEmpty() && !bench.equals("unknown")) {
            commit += " (benchmark code not committed yet)";
        }
        sb.append(String.format(Locale.ROOT, "Measured %s on %d cores (`nproc`), %s, Linux %s; %s %s; Node.js %s; "
                        + "Docker %s; containerd %s; Nest %s. Load average before / after: %s / %s (other work shares the cores; "
                        + "the figures move with it).%n%n",
                date, Runtime.getRuntime().availableProcessors(), cpu,
                Machine.output(List.of("uname", "-r")), System.getProperty("java.vm.name"), Runtime.version(),
                Machine.output(List.of("node", "--version")),
                Machine.output(List.of("docker", "version", "--format", "{{.Server.Version}}")), containerdVersion(), commit, load0, load1));
        sb.append("Command: `").append(command).append("` (").append(pods).append(" pods per driver and runtime, ")
                .append(idle).append(" idle pods for memory).\n\n");
        sb.append("""
                Time to a ready pod: from asking for a pod (`SandboxDriver.start(PodSpec)` of the driver, created through \
                `ServiceLoader` as the node agent does; for the baseline, launching the `docker run` process) until the host \
                answers `GET /health` with 200 `{"ready":true}`, polled every 2 ms with a 50 ms connect time-out. Pods are \
                started one at a time, each stopped (not timed) once ready; the modes (five, six for Java) are interleaved pod by pod after \
                one unrecorded warm-up each. The pod spec is the node agent's (`NodeAgent.startInstance`): the runtime's \
                default memory, 1 CPU, 256 pids, the `NEST_HOST_*` environment; the process driver runs \
                `RuntimeRegistry.command`, the docker and containerd drivers the image's entrypoint with the same \
                hardening (user 65534, read-only root, tmpfs `/tmp`, no capabilities, no-new-privileges, docker-init as \
                PID 1, limits, code bind mount, host network). The containerd driver talks gRPC to the containerd that \
                `distribution/setup-engines.sh` starts (`/run/nest/containerd/containerd.sock`, overlayfs, runc v2 shim), \
                the docker driver to dockerd. Baseline: \
                `docker run -d --rm --network host -e NEST_HOST_PORT=.. -e NEST_HOST_ADDRESS=127.0.0.1 \
                -e NEST_HOST_SECRET=.. IMAGE` (same image, same entrypoint, no limits or hardening), through the docker \
                CLI. Percentiles are nearest-rank: with 20 pods p99 is the slowest one.

                """);
        sb.append("| runtime | mode | ready p50 | ready p99 | min | max | stop p50 (not in ready) "
                + "| idle memory per pod: docker stats | idle memory per pod: VmRSS |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (PodReadyResult r : results) {
            row(sb, r.runtime, "`process` driver", r.process, r.processStop, r.processMemMb);
            row(sb, r.runtime, "`docker` driver", r.docker, r.dockerStop, r.dockerMemMb);
            row(sb, r.runtime, "`containerd` driver", r.containerd, r.containerdStop, r.containerdMemMb);
            row(sb, r.runtime, "`containerd` driver, `prepared: 1`", r.containerdPrepared, r.containerdPreparedStop,
                    new double[] {Double.NaN, Double.NaN});
            if (!r.containerdNoAot.isEmpty()) {
                row(sb, r.runtime, "`containerd` driver, host AOT cache off", r.containerdNoAot, r.containerdNoAotStop,
                        new double[] {Double.NaN, Double.NaN});
            }
            row(sb, r.runtime, "`docker run` (baseline)", r.baseline, r.baselineStop, r.baselineMemMb);
        }
        sb.append("\n| runtime | containerd driver, `prepared: 1`, p50 / `docker run` p50 | target | containerd driver "
                + "(no prepared containers) p50 / `docker run` p50 | docker driver p50 / `docker run` p50 "
                + "| process driver p50 / `docker run` p50 | Java host AOT cache on / off (containerd driver, p50) |\n"
                + "|---|---:|---|---:|---:|---:|---:|\n");
        for (PodReadyResult r : results) {
            double cp = Stats.median(r.containerdPrepared) / Stats.median(r.baseline);
            double c = Stats.median(r.containerd) / Stats.median(r.baseline);
            sb.append(String.format(Locale.ROOT, "| %s | %.2fx | <= 0.7x (%s) | %.2fx | %.2fx | %.2fx | %s |%n",
                    display(r.runtime), cp, cp <= 0.7 ? "met" : "missed", c, Stats.median(r.docker) / Stats.median(r.baseline),
                    Stats.median(r.process) / Stats.median(r.baseline), r.containerdNoAot.isEmpty() ? "-"
                            : String.format(Locale.ROOT, "%.2fx (%s vs %s)", Stats.median(r.containerd)
                            / Stats.median(r.containerdNoAot), ms(Stats.median(r.containerd)), ms(Stats.median(r.containerdNoAot)))));
        }
        sb.append("\nWhere a containerd driver start spends its time (`Pod.describe()` of each pod: the driver's own clock "
                + "around each call; p50 over the recorded pods; the rest of the time to ready is the host starting "
                + "inside the container until `/health` answers):\n\n| runtime |");
        List<String> phaseNames = results.isEmpty() ? List.of() : List.copyOf(results.getFirst().containerdPhases.keySet());
        for (String ph : phaseNames) {
            sb.append(' ').append(ph).append(" |");
        }
        sb.append(" sum | ready |\n|---|").append("---:|".repeat(phaseNames.size() + 2)).append('\n');
        for (PodReadyResult r : results) {
            sb.append("| ").append(display(r.runtime)).append(" |");
            double sum = 0;
            for (String ph : phaseNames) {
                double v = Stats.median(r.containerdPhases.getOrDefault(ph, List.of(Double.NaN)));
                sum += v;
                sb.append(' ').append(ms(v)).append(" |");
            }
            sb.append(' ').append(ms(sum)).append(" | ").append(ms(Stats.median(r.containerd))).append(" |\n");
        }
        sb.append("\nThe same with `prepared: 1` (the start resolves the image, takes a prepared container, writes the pod's "
                + "environment file and starts the task; lease, snapshot, container and task were made ahead):\n\n| runtime |");
        List<String> prepNames = results.isEmpty() ? List.of() : List.copyOf(results.getFirst().preparedPhases.keySet());
        for (String ph : prepNames) {
            sb.append(' ').append(ph).append(" |");
        }
        sb.append(" sum | ready |\n|---|").append("---:|".repeat(prepNames.size() + 2)).append('\n');
        for (PodReadyResult r : results) {
            sb.append("| ").append(display(r.runtime)).append(" |");
            double sum = 0;
            for (String ph : prepNames) {
                double v = Stats.median(r.preparedPhases.getOrDefault(ph, List.of(Double.NaN)));
                sum += v;
                sb.append(' ').append(ms(v)).append(" |");
            }
            sb.append(' ').append(ms(sum)).append(" | ").append(ms(Stats.median(r.containerdPrepared))).append(" |\n");
        }
        sb.append("\n").append("What the containerd driver does to shorten a start: the image (index, manifest, config, chain id) "
                + "is resolved once per image and reused while the image record points at the same digest (one `Images.Get` per "
                + "start); the output FIFOs are made on a helper thread while the first calls run. With `prepared: N` "
                + "(ADR 0031) the driver keeps N containers per image and limits made up to the task (lease, snapshot, "
                + "container, FIFOs, task created, `runc create` done); a start writes the pod's environment to a file the "
                + "container's `/bin/sh` reads before it execs the entrypoint, and starts the task: the driver's part falls "
                + "from the sum of the first phase table to that of the second. The replacement is made 1 s after the take "
                + "(made 100 ms after, it ran on the same cores as the new host's start: in that run Node.js 0.75x and Java "
                + "0.78x of `docker run`, against 0.85x and 0.79x without prepared containers). What remains is the host's "
                + "own start inside the container, which `docker run` pays as well. `shim: shared` (one runc shim for the "
                + "node's pods) saves the shim's spawn in `task` but a start racing the group's last exit fails, so it is not "
                + "the default. The Java image carries the host's AOT cache (JDK 25, made at image build by a training "
                + "run); the row with it turned off (`JDK_JAVA_OPTIONS=-XX:AOTMode=off`, same image) shows what it saves. "
                + "The `docker run` baseline runs the same image, so it gains from the cache as well.").append("\n");
        sb.append(block(results, command));
        sb.append("""

                The target (pod ready p50 <= 0.7x the `docker run` baseline) is the `containerd` driver's, with \
                `prepared: 1`; a full run takes about 8 minutes on 2 cores (quick: `NEST_BENCH_PODS=5`, 2 minutes). \
                Memory, read 2 s after all idle pods were ready and averaged: `docker stats --no-stream` (the \
                container cgroup's usage without inactive page cache; containers only; for containerd pods the same \
                figure read from the pod's memory cgroup, usage less `total_inactive_file`) and the resident set (VmRSS \
                in /proc/PID/status) of the host process and its descendants, for containers the process tree under \
                the container's PID 1 (docker-init for the driver's pods) as seen from the host. VmRSS counts shared \
                file pages (the node or java binary, \
                libraries) in every pod; the cgroup figure counts them once per cgroup that first touched them. \
                Stop: `Pod.stop(2 s grace)` of the driver (containerd: SIGTERM, then delete task, container, \
                snapshot and lease), `docker rm -f` for the baseline (after the `docker run` \
                process ended). Left over after the run (containers labelled with this run's node id or baseline \
                label, child processes of the benchmark):""").append(' ').append(leftovers).append(".\n");
        return sb.toString();
    }

    private static String containerdVersion() {
        String address = System.getenv().getOrDefault("NEST_CONTAINERD_ADDRESS", "/run/nest/containerd/containerd.sock");
        String out = Machine.output(List.of("sh", "-c", "ctr -a " + address + " version | sed -n 's/^ *Version: *//p' | tail -1"));
        return out.isBlank() ? "unknown" : out.trim();
    }

    /**
     * One row of the pod start table; {@code mem} is {docker stats, VmRSS} in MiB, either NaN where it was not measured
     * (processes have no docker stats; prepared containers and the AOT-off runs measure no idle memory): shown as "-".
     */
    static void row(StringBuilder sb, String runtime, String mode, List<Double> v, List<Double> stop, double[] mem) {
        sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", display(runtime), mode,
                ms(Stats.median(v)), ms(Stats.percentile(v, 99)), ms(Stats.min(v)), ms(Stats.max(v)), ms(Stats.median(stop)),
                mib(mem[0]), mib(mem[1])));
    }

    /** {@code mb} as "12.3 MiB", or "-" when it was not measured (NaN). */
    static String mib(double mb) {
        return Double.isNaN(mb) ? "-" : String.format(Locale.ROOT, "%.1f MiB", mb);
    }

    private static String display(String runtime) {
        return switch (runtime) {
            case "nodejs" -> "Node.js";
            case "java" -> "Java";
            default -> runtime;
        };
    }

    /**
     * The section's block: the guarded ratios (ADR 0026: same run, the modes interleaved pod by pod) and rows 260 (the
     * {@code docker} driver, Node.js), 270 (containerd with {@code prepared: 1}, Node.js and Java) and 275 (Java, AOT
     * cache on / off), each written when the run measured what it quotes.
     */
    static String block(List<PodReadyResult> results, String command) {
        String cmd = "`" + command + "`";
        double nodePrepared = Double.NaN;
        double javaPrepared = Double.NaN;
        String nodeFig = "";
        String javaFig = "";
        for (PodReadyResult r : results) {
            double ratio = Stats.median(r.containerdPrepared) / Stats.median(r.baseline);
            String fig = String.format(Locale.ROOT, "%s %s vs %s, %.2fx without prepared containers", display(r.runtime),
                    ms(Stats.median(r.containerdPrepared)), ms(Stats.median(r.baseline)),
                    Stats.median(r.containerd) / Stats.median(r.baseline));
            if (r.runtime.equals("nodejs")) {
                nodePrepared = ratio;
                nodeFig = fig;
            } else if (r.runtime.equals("java")) {
                javaPrepared = ratio;
                javaFig = fig;
            }
        }
        List<BenchBlock.Ratio> ratios = new ArrayList<>();
        for (PodReadyResult r : results) {
            String rt = r.runtime;
            if (!r.containerdPrepared.isEmpty() && !r.baseline.isEmpty()) {
                ratios.add(SameRunRatio.of("pods." + rt + ".containerd-prepared-over-docker-run", r.containerdPrepared,
                        r.baseline, false));
                ratios.add(SameRunRatio.of("pods." + rt + ".containerd-over-docker-run", r.containerd, r.baseline, false));
                ratios.add(SameRunRatio.of("pods." + rt + ".docker-over-docker-run", r.docker, r.baseline, false));
            }
            if (!r.containerdNoAot.isEmpty()) {
                ratios.add(SameRunRatio.of("pods." + rt + ".aot-on-over-off", r.containerd, r.containerdNoAot, false));
            }
        }
        List<BenchBlock.Row> rows = new ArrayList<>();
        for (PodReadyResult r : results) {
            if (r.runtime.equals("nodejs")) {
                rows.add(BenchBlock.row(260, "pod ready, `docker` driver / `docker run` of the same image, p50 (Node.js)",
                        "", cmd, "%.2fx (%s vs %s; `process` driver %s)", Stats.median(r.docker) / Stats.median(r.baseline),
                        ms(Stats.median(r.docker)), ms(Stats.median(r.baseline)), ms(Stats.median(r.process))));
            }
        }
        if (!Double.isNaN(nodePrepared) && !Double.isNaN(javaPrepared)) {
            rows.add(BenchBlock.row(270, "pod ready, `containerd` driver with `prepared: 1` / `docker run` of the same "
                    + "image, p50 (Node.js / Java)", "<= 0.7x", cmd, "%.2fx / %.2fx (%s; %s; same run)", nodePrepared,
                    javaPrepared, nodeFig, javaFig));
        }
        for (PodReadyResult r : results) {
            if (!r.containerdNoAot.isEmpty()) {
                rows.add(BenchBlock.row(275, "Java pod ready, host AOT cache on / off (`containerd` driver, same image, "
                        + "p50)", "", cmd, "%.2fx (%s vs %s)", Stats.median(r.containerd) / Stats.median(r.containerdNoAot),
                        ms(Stats.median(r.containerd)), ms(Stats.median(r.containerdNoAot))));
            }
        }
        return BenchBlock.tail(ratios, rows);
    }

    private static String ms(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f ms", v) : String.format(Locale.ROOT, "%.1f ms", v);
    }

    /** A pod that answered /health: its time to ready, how to stop it, how to read its memory. */
    private record Started(double readyMs, Runnable stopper, java.util.function.Supplier<double[]> memory, String describe) {
        Started(double readyMs, String describe, Runnable stopper, java.util.function.Supplier<double[]> memory) {
            this(readyMs, stopper, memory, describe);
        }

        void stop() {
            stopper.run();
        }

        /** Stops the pod; how long that took (ms). */
        double timedStop() {
            long t0 = System.nanoTime();
            stopper.run();
            return (System.nanoTime() - t0) / 1e6;
        }

        /** {docker stats MiB (NaN for processes), VmRSS of the process tree MiB}. */
        double[] residentMb() {
            return memory.get();
        }
    }
}
