package dev.nest.bench;

import dev.nest.it.AsyncNodeProcess;
import dev.nest.it.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * README row 390: the wall time of {@code distribution/nest fn ls} against a running node, and the CPU time of the
 * CLI's process. One node in its own process ({@link AsyncNodeProcess}: embedded ZooKeeper, the {@code process}
 * driver) on a free port of 127.0.0.1 with {@code nest.bench.functions} Node.js functions (300); the CLI is pointed at
 * it through {@code NEST_SERVER} and {@code NEST_TOKEN}, with its own cache folder ({@code XDG_CACHE_HOME}), so that
 * its AOT cache is made by this run (the first command trains it in the background; the benchmark waits for it, then
 * runs {@code nest.bench.warmups} warm-ups, 3) and not taken from the user's.
 *
 * <p>{@code nest.bench.runs} (30) runs of the CLI alternate, run by run, with the same number of runs of the floor,
 * the same JDK's {@code java} with the CLI's JVM flags ({@link #FLOOR_FLAGS}) printing {@code -version}: a JVM start
 * and exit, which every Java command pays, and no request. ({@code nest --version} is no floor: it builds picocli's
 * whole command tree, which {@code fn ls} does not, and costs more than {@code fn ls}.) Wall time is from starting
 * the process to its exit, as seen from here; CPU time is what the process and its children (the launcher script and
 * the one {@code stat} it runs) used, from this JVM's {@code cutime + cstime} in {@code /proc/self/stat}
 * around each run (10 ms ticks). The ratio {@code cli.fn-ls-over-jvm-version} is the CLI's median wall time over the
 * floor's of the same run.
 *
 * <p>The CLI is only pointed at a loopback node: {@code nest.bench.server} (for a node already running, with
 * {@code NEST_TOKEN}) must be {@code http://127.x.y.z:PORT} ({@link #loopbackTarget}); a non-loopback target is
 * refused before anything runs. Writes the section "CLI: `nest fn ls` wall time" of docs/BENCHMARKS.md when
 * {@code nest.bench.docs} is true, with row 390 only from a run against its own node with the AOT cache in use (a
 * run against another node, or without the cache, keeps the recorded row). Run by {@code distribution/bench-cli.sh}.
 */
public final class CliBenchmark {
    static final String HEADING = "## CLI: `nest fn ls` wall time";
    static final List<String> FLOOR_FLAGS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData");
    static final int TARGET_MILLIS = 500;
    private static final Pattern LOOPBACK = Pattern.compile("127\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    private CliBenchmark() {
    }

    /** One process's wall and CPU time, in milliseconds. */
    record Sample(double wallMillis, double cpuMillis) {
    }

    /** The figures of one run: the CLI's samples and the floor's, run by run. */
    record Result(int functions, int warmups, List<Sample> cli, List<Sample> floor) {
        List<Double> walls(List<Sample> s) {
            return s.stream().map(Sample::wallMillis).toList();
        }

        double mean(List<Double> v) {
            return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }
    }

    /**
     * {@code url} when it is {@code http://} to an IPv4 address in 127.0.0.0/8 with a port and nothing else;
     * otherwise an {@link IllegalArgumentException} saying what to change. A host name is refused too (it could
     * resolve anywhere).
     */
    static String loopbackTarget(String url) {
        URI u;
        try {
            u = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the CLI benchmark's target '" + url + "' is not a URL; give "
                    + "http://127.0.0.1:PORT");
        }
        String host = u.getHost() == null ? "" : u.getHost();
        Matcher m = LOOPBACK.matcher(host);
        boolean loopback = m.matches() && Stream.of(m.group(1), m.group(2), m.group(3)).allMatch(o -> Integer.parseInt(o) <= 255);
        if (!"http".equals(u.getScheme()) || !loopback || u.getPort() < 1 || u.getUserInfo() != null
                || (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/"))
                || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new IllegalArgumentException("the CLI benchmark only targets a node on this machine: '" + url
                    + "' is not http://127.x.y.z:PORT (an address in 127.0.0.0/8 and a port, no name, path or query); "
                    + "unset nest.bench.server (NEST_BENCH_SERVER) to let it start its own node");
        }
        return "http://" + host + ":" + u.getPort();
    }

    /** A positive whole-number knob, at most {@code max}; a clear error otherwise. */
    static int knob(String name, String value, int max) {
        int v;
        try {
            v = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number from 1 to " + max + ", not '" + value + "'");
        }
        if (v < 1 || v > max) {
            throw new IllegalArgumentException(name + " must be from 1 to " + max + ", not " + v);
        }
        return v;
    }

    /** The same-run ratio: the CLI's median wall time over the floor's (lower is better). */
    static BenchBlock.Ratio ratio(Result r) {
        return SameRunRatio.of("cli.fn-ls-over-jvm-version", r.walls(r.cli()), r.walls(r.floor()), false);
    }

    /** Row 390 of this run; the mean is in bold when it misses the target, {@value #TARGET_MILLIS} ms. */
    static BenchBlock.Row row(Result r, String command) {
        List<Double> cli = r.walls(r.cli());
        List<Double> floor = r.walls(r.floor());
        return BenchBlock.row(390, String.format(java.util.Locale.ROOT, "`nest fn ls` wall time against a running node "
                        + "(%,d functions on a loopback port, %d runs after %d warm-ups)", r.functions(), cli.size(),
                r.warmups()), "<= 0.5 s", "`" + command + "`",
                (r.mean(cli) > TARGET_MILLIS ? "**%,.0f ms mean**" : "%,.0f ms mean") + ", %,.0f ms p50, %,.0f ms max; "
                        + "%,.0f ms of CPU (mean); p50 %.1fx a bare JVM start (`java -version` with the CLI's JVM flags, "
                        + "%,.0f ms p50: the start every Java command pays, no request)",
                r.mean(cli), Stats.median(cli), Stats.max(cli), r.mean(r.cli().stream().map(Sample::cpuMillis).toList()),
                ratio(r).value(), Stats.median(floor));
    }

    public static void main(String[] args) throws Exception {
        Path root = Fixtures.projectRoot();
        int runs = knob("nest.bench.runs (NEST_BENCH_RUNS)", System.getProperty("nest.bench.runs", "30"), 1000);
        int warmups = knob("nest.bench.warmups (NEST_BENCH_WARMUPS)", System.getProperty("nest.bench.warmups", "3"), 100);
        int functions = knob("nest.bench.functions (NEST_BENCH_FUNCTIONS)",
                System.getProperty("nest.bench.functions", "300"), 5000);
        String server = System.getProperty("nest.bench.server", "");
        String external = server.isBlank() ? "" : loopbackTarget(server);
        boolean docs = Boolean.parseBoolean(System.getProperty("nest.bench.docs", "true"));
        String command = System.getProperty("nest.bench.command", "distribution/bench-cli.sh");
        Path cli = root.resolve("distribution/nest");
        if (!Files.isRegularFile(root.resolve("target/nest.jar"))) {
            throw new IllegalStateException("no target/nest.jar; build it with mvn -B -DskipTests package");
        }
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String load0 = Machine.loadAverage();
        Path tmp = Files.createTempDirectory("nest-clibench-");
        Result result;
        boolean cached;
        AsyncNodeProcess node = null;
        try {
            String target;
            String token;
            List<String> names = new ArrayList<>();
            if (external.isEmpty()) {
                node = AsyncNodeProcess.create(tmp.resolve("node"));
                for (int i = 0; i < functions; i++) {
                    String name = String.format("fn-%04d", i);
                    names.add(name);
                    Fixtures.nodeFunction(node.functionsDir(), name, "", "exports.handler = async () => ({ ok: true });\n");
                }
                node.launch();
                target = loopbackTarget(node.base());
                token = Fixtures.bootstrapToken();
            } else {
                target = external;
                token = System.getenv().getOrDefault("NEST_TOKEN", "");
            }
            Path cache = Files.createDirectories(tmp.resolve("cache"));
            Map<String, String> env = Map.of("NEST_SERVER", target, "NEST_TOKEN", token,
                    "XDG_CACHE_HOME", cache.toString(), "JAVA_HOME", System.getProperty("java.home"));
            List<String> ls = List.of(cli.toString(), "fn", "ls");
            List<String> floorArgv = new ArrayList<>(List.of(Fixtures.javaBinary()));
            floorArgv.addAll(FLOOR_FLAGS);
            floorArgv.add("-version");
            // the first command trains the CLI's AOT cache in the background; wait for it, as a user's later commands do
            String listed = run(ls, env, tmp, true).output();
            int seen = external.isEmpty() ? functions : (int) listed.lines().skip(1).filter(l -> !l.isBlank()).count();
            for (String name : names) {
                if (!listed.contains(name + " ")) {
                    throw new IllegalStateException("nest fn ls did not list " + name + ":\n" + listed);
                }
            }
            cached = awaitCache(cache.resolve("nest"), Duration.ofSeconds(180));
            for (int i = 0; i < warmups; i++) {
                run(ls, env, tmp, false);
                run(floorArgv, env, tmp, false);
            }
            List<Sample> cliSamples = new ArrayList<>();
            List<Sample> floorSamples = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                if (i % 2 == 0) {
                    floorSamples.add(run(floorArgv, env, tmp, false).sample());
                    cliSamples.add(run(ls, env, tmp, false).sample());
                } else {
                    cliSamples.add(run(ls, env, tmp, false).sample());
                    floorSamples.add(run(floorArgv, env, tmp, false).sample());
                }
            }
            result = new Result(seen, warmups, cliSamples, floorSamples);
        } finally {
            if (node != null) {
                node.close();
            }
        }
        String commit = Machine.output(List.of("git", "-C", root.toString(), "rev-parse", "--short", "HEAD"));
        List<Double> cliWall = result.walls(result.cli());
        List<Double> floorWall = result.walls(result.floor());
        List<Double> cliCpu = result.cli().stream().map(Sample::cpuMillis).toList();
        List<Double> floorCpu = result.floor().stream().map(Sample::cpuMillis).toList();
        BenchBlock.Ratio ratio = ratio(result);
        System.out.printf("cli bench: fn ls %.0f ms mean, %.0f p50, %.0f max, %.0f ms CPU; floor %.0f ms p50; ratio %.2f%n",
                result.mean(cliWall), Stats.median(cliWall), Stats.max(cliWall), result.mean(cliCpu),
                Stats.median(floorWall), ratio.value());
        String body = """
                Measured %s on %d cores, %s %s, commit %s. Load average before / after: %s / %s (other work shares the cores).

                Command: `%s` (%d runs after %d warm-ups). %s; the CLI is `distribution/nest fn ls` with `NEST_SERVER` \
                and `NEST_TOKEN` set and its own cache folder, whose AOT cache the first command trained (%s). Each CLI \
                run alternates with a run of the floor, `java %s -version` (the same JDK and the CLI's JVM flags: a JVM \
                start and exit, which every Java command pays, without the request; `nest --version` is no floor, it \
                builds picocli's whole command tree, which `fn ls` does not). Wall time is from starting the process to \
                its exit; CPU time is the process's and its children's (the launcher script and the one `stat` it runs), \
                `cutime + cstime` of the benchmark's JVM around each run, in 10 ms ticks.

                | command | wall mean | p50 | min | max | CPU user + sys, mean |
                |---|---:|---:|---:|---:|---:|
                | `distribution/nest fn ls` (%,d functions listed) | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms |
                | floor: `java -version`, same flags | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms |

                Same-run ratio, the CLI's p50 over the floor's: %.2f (spread over interleaved subsets of the runs %.2f).
                """.formatted(date, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                Runtime.version(), commit, load0, Machine.loadAverage(), command, runs, warmups,
                external.isEmpty() ? "One node in its own process (embedded ZooKeeper, the `process` driver) on a free "
                        + "port of 127.0.0.1 with " + String.format(java.util.Locale.ROOT, "%,d", result.functions()) + " Node.js functions"
                        : "A node already running at " + external,
                cached ? "in use for every measured run" : "not made within 180 s: the runs went without it",
                String.join(" ", FLOOR_FLAGS), result.functions(), result.mean(cliWall), Stats.median(cliWall),
                Stats.min(cliWall), Stats.max(cliWall), result.mean(cliCpu), result.mean(floorWall),
                Stats.median(floorWall), Stats.min(floorWall), Stats.max(floorWall), result.mean(floorCpu), ratio.value(),
                ratio.noise())
                + BenchBlock.tail(List.of(ratio), external.isEmpty() && cached ? List.of(row(result, command)) : List.of());
        System.out.println(HEADING + "\n\n" + body);
        if (docs) {
            BenchmarksDoc.writeSection(root.resolve("docs/BENCHMARKS.md"), HEADING, body);
        }
        deleteTree(tmp);
    }

    private record Run(Sample sample, String output) {
    }

    /** Runs {@code argv} to its end (60 s at most) with {@code env} added; fails on a non-zero exit. */
    private static Run run(List<String> argv, Map<String, String> env, Path tmp, boolean keepOutput)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectOutput(tmp.resolve("out.txt").toFile())
                .redirectError(tmp.resolve("err.txt").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("NEST_"));
        pb.environment().putAll(env);
        double cpu0 = childrenCpuMillis();
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", argv) + " did not end within 60 s");
        }
        long wall = System.nanoTime() - t0;
        double cpu = childrenCpuMillis() - cpu0;
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited with " + p.exitValue() + ":\n"
                    + Files.readString(tmp.resolve("err.txt"), StandardCharsets.UTF_8));
        }
        return new Run(new Sample(wall / 1e6, cpu), keepOutput
                ? Files.readString(tmp.resolve("out.txt"), StandardCharsets.UTF_8) : "");
    }

    /** This JVM's waited-for children's CPU time (cutime + cstime of /proc/self/stat), in milliseconds. */
    private static double childrenCpuMillis() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10.0; // USER_HZ is 100 on Linux
    }

    /** Whether the CLI's AOT cache ({@code cli-*.aot}) is in {@code dir} with no training left, within {@code max}. */
    private static boolean awaitCache(Path dir, Duration max) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    List<String> names = s.map(p -> p.getFileName().toString()).toList();
                    if (names.stream().anyMatch(n -> n.startsWith("cli-") && n.endsWith(".aot"))
                            && names.stream().noneMatch(n -> n.endsWith(".training"))) {
                        return true;
                    }
                }
            }
            Thread.sleep(200);
        }
        return false;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
