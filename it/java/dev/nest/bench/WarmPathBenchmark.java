package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Issue #2's first benchmark, for a trivial Node.js and a trivial Java function on the {@code process} driver:
 * <ol>
 *   <li>first requests: client-side p50/p99 over N functions each created for one sample (as the pool-hit
 *       benchmark does), every sample kept and the cold ones counted, and the server's phase split
 *       ({@code GET /api/v1/invocations/{id}}) of the cold ones;</li>
 *   <li>warm path, in rounds: wrk (saturated, closed loop: throughput only) and {@link OpenLoop} (a fixed rate,
 *       latency from each request's due time: p50/p99/p99.9) against the runtime host's {@code /invoke} directly,
 *       through nginx (Node.js only) and through Nest's {@code /fn/{name}}; ratios per round, median and spread;</li>
 *   <li>the Nest server's resident memory at ready, after the warm runs and after the cold starts;</li>
 *   <li>startup: launch to {@code /health} 200 of plain {@code java -jar nest.jar} as shipped (on JDK 25: the first
 *       start of the jar, which trains its AOT cache, then the second and later starts, which apply it), alternating
 *       with the cache off and the cache given by hand, median over fresh data directories, with resident memory at
 *       ready.</li>
 * </ol>
 * The report ends with the section's {@link BenchBlock} (guarded ratios, README rows).
 * The direct and nginx baselines of both runtimes run first, then both runtimes through Nest, then the cold
 * starts, so the server is never left idle for long with instances running. (When this was written, a 2-core
 * server left idle for about 30 s with a live instance stopped running virtual threads: the process driver's
 * pod-output readers, blocked on pipe reads in virtual threads, held both carriers. A run that hits such a
 * problem fails and keeps the server's thread dump under {@code diagnostics/} in its temporary directory.)
 *
 * <p>Everything runs as real processes: a copy of {@code nest.jar} as the server, hosts started from their
 * {@code runtime.yaml}, nginx and wrk. Prints a Markdown report and, for full-length runs, replaces the section
 * {@value #SECTION} of {@code docs/BENCHMARKS.md}. Every process started is stopped at the end, also on failure
 * and on Ctrl-C. Knobs: see {@link BenchSettings}; run it with {@code distribution/bench.sh}.
 */
public final class WarmPathBenchmark {
    static final String SECTION = "## Warm path and cold start (process driver)";
    static final String BODY = "hello";
    static final String NODE_FUNCTION = """
            // The benchmark's trivial function: answers a short fixed text.
            exports.handler = async () => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' });
            """;
    static final String JAVA_FUNCTION = """
            import java.util.Map;

            /** The benchmark's trivial function: answers a short fixed text. */
            public class Handler {
                public Map<String, Object> handle(Map<String, Object> event) {
                    return Map.of("statusCode", 200, "headers", Map.of("content-type", "text/plain"), "body", "hello");
                }
            }
            """;
    private static final List<String> PHASES = List.of("queue", "pod", "load", "init", "exec");

    /** One runtime's cold starts: client time, server duration, deploy call time, and each phase, in ms. */
    record Cold(List<Double> clientMs, List<Double> serverMs, List<Double> deployMs, Map<String, List<Double>> phases,
                int warmAnswers) {
    }

    /**
     * One warm measurement of a path in one round: the runtime, the path ({@code direct}, {@code nginx}, {@code nest}),
     * what it is, the saturated closed-loop run (wrk: throughput) and the open-loop run at a fixed rate (latency).
     */
    record Warm(String runtime, String path, String description, int round, Wrk.Result result, OpenLoop.Result open) {
    }

    /** Open-loop connections: enough that none is busy when its next request falls due at the benchmark's rates. */
    static final int OPEN_LOOP_CONNECTIONS = 8;

    private final BenchSettings s;
    private final ChildProcesses children;
    private final Path work;
    private final Path jar;
    private final BenchHttp http = new BenchHttp();
    private final Wrk wrk;
    private final OpenLoop openLoop = new OpenLoop(System::nanoTime);
    private int round = 1;

    private Machine machine;
    private String loadStart = "";
    private String loadEnd = "";
    private List<String> serverArgv = List.of();
    private final List<Double> startupMs = new ArrayList<>();
    private final List<Double> startupLoggedMs = new ArrayList<>();
    /** The same start-ups with the JDK's AOT cache (empty when not measured), and resident memory at ready. */
    private final List<Double> startupAotMs = new ArrayList<>();
    private final List<Double> rssStartMiB = new ArrayList<>();
    private final List<Double> rssStartAotMiB = new ArrayList<>();
    /** The same start-ups with the self-applied cache turned off ({@code -Dnest.aot=off}). */
    private final List<Double> startupOffMs = new ArrayList<>();
    private final List<Double> rssStartOffMiB = new ArrayList<>();
    /** The first start of the jar (it trains the cache after ready), and how long the training took after ready. */
    private double firstStartMs = -1;
    private double firstStartRssMiB = -1;
    private double trainingSeconds = -1;
    /** How many of the shipped starts ran with the cache they applied themselves (from their log). */
    private int startsWithCache;
    /**
     * First starts of the jar in the rounds (each with a fresh, empty cache directory; the training each begins after
     * ready is stopped before the next start), alternating with the other kinds; the start above is the one whose
     * training is kept.
     */
    private final List<Double> firstMs = new ArrayList<>();
    private final List<Double> firstRssMiB = new ArrayList<>();
    /** Starts of the jar after the install-time training ({@code java -jar nest.jar aot-cache}), and that training's time. */
    private final List<Double> installedMs = new ArrayList<>();
    private final List<Double> installedRssMiB = new ArrayList<>();
    private int installedWithCache;
    private double installTrainingSeconds = -1;
    /** CPU time (user + system) of the server process at its first /health 200, per kind of start. */
    private final Map<String, List<Double>> cpuAtReady = new LinkedHashMap<>();
    private long[] rssReady;
    private long[] rssWarm;
    private long[] rssCold;
    private final List<Warm> warm = new ArrayList<>();
    private final Map<String, Cold> cold = new LinkedHashMap<>();

    private WarmPathBenchmark(BenchSettings s, ChildProcesses children, Path work) {
        this.s = s;
        this.children = children;
        this.work = work;
        this.jar = work.resolve("nest.jar");
        this.wrk = new Wrk(children, s.wrk(), work);
    }

    public static void main(String[] args) {
        System.exit(run());
    }

    /** Runs the benchmark; returns the exit status (0 ok, 1 failed, 2 bad settings). */
    static int run() {
        BenchSettings s;
        try {
            s = BenchSettings.fromEnvironment();
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            return 2;
        }
        Path work;
        try {
            work = Files.createTempDirectory("nest-bench-");
        } catch (IOException e) {
            System.err.println("bench: cannot create a temporary directory: " + e);
            return 1;
        }
        ChildProcesses children = new ChildProcesses();
        Thread hook = new Thread(children::close, "nest-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean ok = false;
        try {
            new WarmPathBenchmark(s, children, work).execute();
            ok = true;
        } catch (RuntimeException e) {
            System.err.println("\nbench: FAILED: " + e.getMessage());
            e.printStackTrace();
        } finally {
            children.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down: the hook runs, close() is idempotent
            }
            if (ok && !s.keepTemp()) {
                delete(work);
            } else {
                System.err.println("bench: logs, data and wrk output kept in " + work);
            }
        }
        return ok ? 0 : 1;
    }

    private void execute() {
        try {
            Files.copy(s.jar(), jar, StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + s.jar(), e);
        }
        if (s.writeDocs()) {
            BenchmarksDoc.commitLine(s.root(), BenchmarksDoc.allowDirty()); // refuse before measuring, not after
        }
        machine = Machine.describe(s);
        loadStart = Machine.loadAverage();
        say("Nest benchmark: warm path and cold start (process driver)");
        say("  machine: %d cores, %s, load average %s", machine.cores(), machine.cpu(), loadStart);
        say("  wrk -t1 -c%d -d%ds --latency after a %d s warm-up; %d cold starts per runtime; %d startup(s)%s",
                s.connections(), s.seconds(), s.warmupSeconds(), s.coldStarts(), s.startupRuns(),
                s.full() ? "" : " (quick run: the figures are a smoke test, not results)");
        say("  jar %s copied to %s", s.jar(), jar);
        if (s.runs("startup")) {
            startup();
        }
        if (s.runs("warm") || s.runs("cold")) {
            Path code = work.resolve("code");
            Path nodeCode = write(code.resolve("node"), "index.js", NODE_FUNCTION);
            Path javaSource = write(code.resolve("java-src"), "Handler.java", JAVA_FUNCTION);
            hostSocketConfig(work.resolve("node"));
            try (NestNode node = NestNode.start(children, http, s.java(), s.serverJvmOptions(), jar, runtimesDir(),
                    work.resolve("node"))) {
                try {
                    measureOnNode(node, nodeCode, javaSource, code);
                } catch (RuntimeException e) {
                    say("\nfailed; saving the server's instances, invocations and threads in %s", work.resolve("diagnostics"));
                    node.saveDiagnostics(work.resolve("diagnostics"), s.java());
                    throw e;
                }
            }
        }
        loadEnd = Machine.loadAverage();
        String report = report();
        say("\n%s\n\n%s", SECTION, report);
        String results = System.getenv("NEST_BENCH_RESULTS");
        if (results != null && !results.isBlank()) {
            try {
                Files.writeString(Path.of(results), SECTION + "\n\n" + report);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write NEST_BENCH_RESULTS " + results, e);
            }
        }
        if (s.writeDocs()) {
            Path doc = s.root().resolve("docs/BENCHMARKS.md");
            BenchmarksDoc.writeSection(doc, SECTION, report);
            say("wrote the section \"%s\" of %s", SECTION.substring(3), doc);
        } else {
            say("docs/BENCHMARKS.md not written (%s; NEST_BENCH_DOCS=1 writes it)",
                    s.full() ? "NEST_BENCH_DOCS=0" : "quick run");
        }
    }

    /** Warm runs and cold starts on one server. */
    private void measureOnNode(NestNode node, Path nodeCode, Path javaSource, Path code) {
        serverArgv = node.argv();
        rssReady = node.residentKb();
        say("\nNest server pid %d on %s ready after %.0f ms; VmRSS %s", node.pid(), node.base(),
                node.readyMillis(), mib(rssReady[0]));
        String nodeDigest = node.upload(nodeCode, Optional.empty());
        String javaDigest = node.upload(javaSource, Optional.of("java"));
        if (s.runs("warm")) {
            node.create(spec("warm-node", "nodejs", "index.handler", 128, s.connections(), Optional.empty(), "0"),
                    nodeDigest);
            node.create(spec("warm-java", "java", "Handler", 256, s.connections(), Optional.empty(), "0"),
                    javaDigest);
            Path javaDirect = compileDirect(javaSource, code.resolve("java-direct"));
            // each round: the baselines first, then everything through Nest back to back (see the class comment)
            for (round = 1; round <= s.rounds(); round++) {
                say("\n== round %d of %d", round, s.rounds());
                baseline("nodejs", "Node.js", nodeCode, "index.handler", 128, true);
                baseline("java", "Java", javaDirect, "Handler", 256, false);
                throughNest(node, "nodejs", "Node.js", "warm-node");
                throughNest(node, "java", "Java", "warm-java");
            }
            rssWarm = node.residentKb();
            say("Nest server VmRSS after the warm runs: %s", mib(rssWarm[0]));
        }
        if (s.runs("cold")) {
            cold.put("Node.js", coldStarts(node, "cold-node", "nodejs", "index.handler", 128, nodeDigest));
            cold.put("Java", coldStarts(node, "cold-java", "java", "Handler", 256, javaDigest));
            rssCold = node.residentKb();
            say("Nest server VmRSS after the cold starts: %s", mib(rssCold[0]));
        }
    }

    // ---- startup -------------------------------------------------------------------------------------------

    /**
     * Start-ups of {@code java -jar nest.jar} as shipped. On a JDK 25 or later the jar applies its own AOT cache
     * (ADR 0033), so there are two figures: the first start of a jar (no cache yet; once ready it trains one in the
     * background, and the benchmark keeps that node up until the cache is written, timing the training), then, in
     * rounds, the same command again (second and later starts: the jar re-executes itself with the cache), alternating
     * with the cache turned off ({@code -Dnest.aot=off}: what every start costs without it, the same-run baseline) and
     * with the cache given by hand ({@code -XX:AOTCache}: the cost of the re-execution is the difference), with a first
     * start of the jar (an empty cache directory of its own each round; its training is stopped) and with a start after
     * the install-time training ({@code java -jar nest.jar aot-cache}, run once before the rounds, its own figure). The
     * CPU time at the first 200 is reported for every kind. The cache directories are fresh ({@code NEST_AOT_DIR}), so
     * the run does not depend on caches of earlier runs.
     */
    private void startup() {
        http.probe("http://127.0.0.1:" + dev.nest.it.Fixtures.freePort() + "/health", Map.of()); // warms up this client
        Path cacheDir = work.resolve("aot-cache");
        boolean aot = !"0".equals(System.getenv("NEST_BENCH_AOT"));
        // NEST_BENCH_AOT=0: every start without the jar's cache (NEST_AOT=0), so no start trains one in between
        Map<String, String> env = aot ? Map.of("NEST_AOT_DIR", cacheDir.toString())
                : Map.of("NEST_AOT_DIR", cacheDir.toString(), "NEST_AOT", "0");
        Optional<Path> cache = Optional.empty();
        if (Runtime.version().feature() >= 25 && aot) {
            NestNode first = NestNode.start(children, http, s.java(), s.serverJvmOptions(), env, jar, runtimesDir(),
                    work.resolve("startup-first"));
            firstStartMs = first.readyMillis();
            firstStartRssMiB = first.residentKb()[0] / 1024.0;
            long t0 = System.nanoTime();
            cache = awaitCache(cacheDir, Duration.ofMinutes(5));
            trainingSeconds = (System.nanoTime() - t0) / 1e9;
            first.close();
            say("\nFirst start of the jar (no cache yet): %.0f ms, VmRSS %.0f MiB; the cache it trained after ready: %s",
                    firstStartMs, firstStartRssMiB, cache.map(c -> c + String.format(Locale.ROOT, " (%.1f s after ready, "
                            + "%.0f MiB)", trainingSeconds, size(c) / 1048576.0)).orElse("NOT made (see "
                            + work.resolve("startup-first") + " and " + cacheDir + ")"));
        }
        Optional<Path> installed = cache.isPresent() ? trainAtInstall(work.resolve("aot-installed")) : Optional.empty();
        say("\nStartup: launch to /health 200, fresh data directory each%s", cache.isPresent()
                ? "; the shipped start (self-applied cache), the cache off, the cache by hand, a first start (empty "
                + "cache directory) and a start after the install-time training, alternating" : "");
        for (int i = 1; i <= s.startupRuns(); i++) {
            int run = i;
            Optional<Path> trained = cache;
            List<Runnable> kinds = new ArrayList<>();
            kinds.add(() -> {
                NestNode node = NestNode.start(children, http, s.java(), s.serverJvmOptions(), env, jar, runtimesDir(),
                        work.resolve("startup-" + run));
                serverArgv = node.argv();
                double ms = node.readyMillis();
                rssStartMiB.add(node.residentKb()[0] / 1024.0);
                cpu("shipped", node);
                boolean applied = node.selfAppliedAotCache();
                node.close();
                OptionalLong logged = node.loggedStartMillis();
                startupMs.add(ms);
                logged.ifPresent(l -> startupLoggedMs.add((double) l));
                startsWithCache += applied ? 1 : 0;
                say("  run %d: %.0f ms, CPU %.2f s (server log: started in %s; %s), VmRSS %.0f MiB", run, ms,
                        node.cpuAtReady(), logged.isPresent() ? logged.getAsLong() + " ms" : "?",
                        applied ? "with its AOT cache" : "no AOT cache", rssStartMiB.getLast());
            });
            if (trained.isPresent()) {
                kinds.add(() -> {
                    List<String> off = new ArrayList<>(s.serverJvmOptions());
                    off.add("-Dnest.aot=off");
                    NestNode n1 = NestNode.start(children, http, s.java(), off, env, jar, runtimesDir(),
                            work.resolve("startup-off-" + run));
                    startupOffMs.add(n1.readyMillis());
                    rssStartOffMiB.add(n1.residentKb()[0] / 1024.0);
                    cpu("off", n1);
                    n1.close();
                    say("  run %d with the cache off (-Dnest.aot=off): %.0f ms, CPU %.2f s, VmRSS %.0f MiB", run,
                            startupOffMs.getLast(), n1.cpuAtReady(), rssStartOffMiB.getLast());
                });
                kinds.add(() -> {
                    List<String> opts = new ArrayList<>(s.serverJvmOptions());
                    opts.add("-XX:AOTCache=" + trained.get());
                    NestNode n2 = NestNode.start(children, http, s.java(), opts, env, jar, runtimesDir(),
                            work.resolve("startup-aot-" + run));
                    startupAotMs.add(n2.readyMillis());
                    rssStartAotMiB.add(n2.residentKb()[0] / 1024.0);
                    cpu("by hand", n2);
                    n2.close();
                    say("  run %d with -XX:AOTCache by hand: %.0f ms, CPU %.2f s, VmRSS %.0f MiB", run,
                            startupAotMs.getLast(), n2.cpuAtReady(), rssStartAotMiB.getLast());
                });
                kinds.add(() -> firstStart(run, env));
            }
            if (installed.isPresent()) {
                kinds.add(() -> {
                    NestNode n3 = NestNode.start(children, http, s.java(), s.serverJvmOptions(),
                            Map.of("NEST_AOT_DIR", installed.get().toString()), jar, runtimesDir(),
                            work.resolve("startup-installed-" + run));
                    installedMs.add(n3.readyMillis());
                    installedRssMiB.add(n3.residentKb()[0] / 1024.0);
                    cpu("installed", n3);
                    installedWithCache += n3.selfAppliedAotCache() ? 1 : 0;
                    n3.close();
                    say("  run %d after the install-time training: %.0f ms, CPU %.2f s, VmRSS %.0f MiB", run,
                            installedMs.getLast(), n3.cpuAtReady(), installedRssMiB.getLast());
                });
            }
            // the order rotates from round to round, so that no kind always follows the same one
            java.util.Collections.rotate(kinds, -(i - 1));
            kinds.forEach(Runnable::run);
        }
        cpuAtReady.forEach((kind, v) -> say("  CPU at ready, %s: median %.2f s (%s)", kind, Stats.median(v),
                v.stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList()));
    }

    /** The first start's figure: the rounds' median when they ran, else the one start before them. */
    private String firstStartFigure() {
        return firstMs.isEmpty() ? String.format(Locale.ROOT, "%.2f s, %.0f MiB (one start)", firstStartMs / 1000,
                firstStartRssMiB) : String.format(Locale.ROOT, "%.2f s (min %.2f, max %.2f), %.0f MiB, median of %d",
                Stats.median(firstMs) / 1000, Stats.min(firstMs) / 1000, Stats.max(firstMs) / 1000,
                Stats.median(firstRssMiB), firstMs.size());
    }

    private void cpu(String kind, NestNode node) {
        cpuAtReady.computeIfAbsent(kind, k -> new ArrayList<>()).add(node.cpuAtReady());
    }

    /**
     * A first start of the jar: an empty cache directory of its own, so it runs without a cache and, once ready,
     * starts training one. That training is stopped (with the node) before the next start, so that it does not run
     * beside the starts that follow; the figures are taken at the first 200, before it.
     */
    private void firstStart(int run, Map<String, String> env) {
        Path dir = work.resolve("aot-first-" + run);
        Map<String, String> fresh = new java.util.HashMap<>(env);
        fresh.put("NEST_AOT_DIR", dir.toString());
        NestNode n = NestNode.start(children, http, s.java(), s.serverJvmOptions(), fresh, jar, runtimesDir(),
                work.resolve("startup-first-" + run));
        firstMs.add(n.readyMillis());
        firstRssMiB.add(n.residentKb()[0] / 1024.0);
        cpu("first", n);
        // the node starts the training right after its ready line; wait for it so that stopping it below is certain
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline && !logContains(n.log(), "AOT cache: training ")) {
            BenchHttp.sleep(50);
        }
        n.close();
        for (int i = 0; i < 50; i++) { // the training's wrapper and JVM name the directory on their command line
            List<ProcessHandle> left = ProcessHandle.allProcesses().filter(ph -> ph.info().arguments()
                    .map(a -> java.util.Arrays.stream(a).anyMatch(x -> x.contains(dir.toString()))).orElse(false)).toList();
            if (left.isEmpty()) {
                break;
            }
            left.forEach(ProcessHandle::destroyForcibly);
            BenchHttp.sleep(100);
        }
        say("  run %d, first start of the jar (empty cache directory; its training stopped): %.0f ms, CPU %.2f s, "
                + "VmRSS %.0f MiB", run, firstMs.getLast(), n.cpuAtReady(), firstRssMiB.getLast());
    }

    private static boolean logContains(Path log, String text) {
        try {
            return Files.readString(log, java.nio.charset.StandardCharsets.UTF_8).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * What an installer does after building the jar ({@code java -jar nest.jar aot-cache}, in the foreground): trains
     * the cache into {@code dir}; timed. Empty, saying why, when it made none.
     */
    private Optional<Path> trainAtInstall(Path dir) {
        List<String> argv = new ArrayList<>();
        argv.add(s.java().toString());
        argv.addAll(s.serverJvmOptions());
        argv.addAll(List.of("-jar", jar.toString(), "aot-cache", "--runtimes", runtimesDir().toString()));
        long t0 = System.nanoTime();
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
            pb.environment().put("NEST_AOT_DIR", dir.toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            int rc = p.waitFor();
            installTrainingSeconds = (System.nanoTime() - t0) / 1e9;
            if (rc != 0) {
                say("\nInstall-time training (java -jar nest.jar aot-cache) failed, exit %d: %s", rc, out);
                return Optional.empty();
            }
            say("\nInstall-time training (java -jar nest.jar aot-cache): %.1f s, %s", installTrainingSeconds, out);
            return Optional.of(dir);
        } catch (IOException e) {
            say("\nInstall-time training (java -jar nest.jar aot-cache) not run: %s", e);
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The trained cache once it is in {@code dir} (the training renames it into place whole), within {@code timeout}. */
    private static Optional<Path> awaitCache(Path dir, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (var files = Files.list(dir)) {
                List<String> names = files.map(p -> p.getFileName().toString()).toList();
                Optional<String> c = names.stream().filter(n -> n.matches("server-.*\\.aot")).findFirst();
                if (c.isPresent()) {
                    return Optional.of(dir.resolve(c.get()));
                }
                if (names.stream().anyMatch(n -> n.endsWith(".failed"))) {
                    return Optional.empty();
                }
            } catch (IOException e) {
                // not made yet
            }
            BenchHttp.sleep(200);
        }
        return Optional.empty();
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    // ---- warm path -----------------------------------------------------------------------------------------

    /**
     * The runtime host started directly: wrk against its {@code /invoke}, and through nginx if asked. For Node.js the
     * plain {@code http} server is measured in the same round, like for like ({@link #PLAIN_NODE}): both processes run
     * during both measurements, and which of the two goes first alternates by round (odd rounds: the host).
     */
    private void baseline(String runtime, String label, Path code, String handler, int memoryMb, boolean withNginx) {
        say("\nWarm path, %s host without Nest", label);
        try (RuntimeHost host = RuntimeHost.start(children, runtimesDir(), runtime, memoryMb, s.java(), jar, work)) {
            host.load("s-1", "default/bench-" + runtime, code, handler, memoryMb, s.connections());
            String url = host.invokeUrl("s-1");
            Map<String, String> secret = Map.of("X-Nest-Secret", host.secret());
            checkHello(http.send("GET", url, secret, null, java.time.Duration.ofSeconds(30)), "GET " + url);
            if (runtime.equals("nodejs")) {
                try (PlainNode plain = PlainNode.start(this, host)) {
                    // the same request bytes as the host gets (path, secret header): the plain server ignores them
                    String plainUrl = "http://127.0.0.1:" + plain.port() + "/invoke/s-1/";
                    Runnable direct = () -> warm.add(measure(runtime, "direct", "host `/invoke` directly",
                            label + " host directly", url, secret));
                    Runnable plainRun = () -> warm.add(measure("nodejs", "plain", "plain Node `http` server",
                            "plain Node.js http server", plainUrl, secret));
                    if (round % 2 == 1) {
                        direct.run();
                        plainRun.run();
                    } else {
                        plainRun.run();
                        direct.run();
                    }
                }
            } else {
                warm.add(measure(runtime, "direct", "host `/invoke` directly", label + " host directly", url, secret));
            }
            if (withNginx) {
                try (NginxProxy proxy = NginxProxy.start(children, s.nginx(), work.resolve("nginx"), host.port(),
                        host.secret(), "/invoke/s-1/")) {
                    warm.add(measure(runtime, "nginx", "nginx -> host", label + " through nginx",
                            proxy.base() + "/invoke/s-1/", Map.of()));
                }
            }
        }
    }

    /**
     * A plain Node.js {@code http} server that answers every request with the host's answer, byte for byte on the
     * wire (the same status line and headers in the same order: the function's {@code content-type}, then
     * {@code Content-Length}, {@code Date}, {@code Connection: keep-alive} and {@code Keep-Alive: timeout=65}, as the
     * host's {@code keepAliveTimeout} of 65 s gives; the same body): issue 19's baseline.
     */
    static final String PLAIN_NODE = """
            const http = require('http');
            const body = 'hello';
            const server = http.createServer((req, res) => {
              res.writeHead(200, ['content-type', 'text/plain', 'Content-Length', String(Buffer.byteLength(body))]);
              res.end(body);
            });
            server.keepAliveTimeout = 65000;
            server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
            """;

    /** The plain Node.js server of one round, on a free loopback port. */
    private record PlainNode(Process process, int port) implements AutoCloseable {
        /**
         * Starts {@link #PLAIN_NODE} with the host's Node.js binary and its V8 options (the launch line's
         * {@code --max-old-space-size}: the same heap limit, so the same young generation), and waits for its answer.
         */
        static PlainNode start(WarmPathBenchmark b, RuntimeHost host) {
            try {
                Path script = b.work.resolve("plain-http.js");
                Files.writeString(script, PLAIN_NODE);
                int port;
                try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                    port = probe.getLocalPort();
                }
                // the same binary as the host called directly and the hosts behind Nest (NEST_NODE, else PATH's)
                dev.nest.runtime.NodeBinary node = RuntimeHost.node();
                String binary = node.verified("nodejs");
                List<String> argv = new ArrayList<>();
                argv.add(binary);
                host.argv().stream().skip(1).filter(a -> a.startsWith("--")).forEach(argv::add);
                argv.add(script.toString());
                argv.add(String.valueOf(port));
                say("  plain Node `http` server and the hosts on Node.js %s (%s); plain: %s", node.version().orElse("?"),
                        binary, String.join(" ", argv.subList(1, argv.size() - 2)));
                Process p = b.children.start("plain node http", argv, Map.of(), b.work, b.work.resolve("plain-http.log"));
                String url = "http://127.0.0.1:" + port + "/";
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (true) {
                    try {
                        checkHello(b.http.send("GET", url, Map.of(), null, java.time.Duration.ofSeconds(5)), "GET " + url);
                        return new PlainNode(p, port);
                    } catch (UncheckedIOException e) {
                        if (System.nanoTime() > deadline || !p.isAlive()) {
                            p.destroy();
                            throw new IllegalStateException("the plain Node.js server did not answer on " + url + ": "
                                    + ChildProcesses.tail(b.work.resolve("plain-http.log"), 20), e);
                        }
                        Thread.sleep(50);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the plain Node.js server", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** wrk against {@code /fn/function} (its first request starts the instance). */
    private void throughNest(NestNode node, String runtime, String label, String function) {
        say("\nWarm path, %s through Nest", label);
        checkHello(node.invoke("/fn/" + function), "GET /fn/" + function);
        warm.add(measure(runtime, "nest", "Nest `/fn/" + function + "` -> host", label + " through Nest",
                node.base() + "/fn/" + function, Map.of()));
    }

    /** The saturated wrk run (throughput), then the open-loop run at the fixed rate (latency), on one path. */
    private Warm measure(String runtime, String path, String description, String what, String url,
                         Map<String, String> headers) {
        if (s.warmupSeconds() > 0) {
            wrk.run(url, headers, s.connections(), s.warmupSeconds());
        }
        Wrk.Result r = wrk.run(url, headers, s.connections(), s.seconds());
        say("  %-28s %9s req/s  p50 %8s  p99 %8s%s", what, String.format(Locale.ROOT, "%,.0f", r.requestsPerSecond()),
                ms(r.p50Ms()), ms(r.p99Ms()), r.errors() > 0 ? "  ERRORS: " + r.non2xx() + " non-2xx, "
                        + r.socketErrors() + " socket" : "");
        OpenLoop.Result o = openLoop.run(url, headers, s.rate(), s.seconds(), OPEN_LOOP_CONNECTIONS);
        say("  %-28s open loop %s", what, o.summary());
        return new Warm(runtime, path, description, round, r, o);
    }

    private static void checkHello(BenchHttp.Response r, String what) {
        if (r.status() != 200 || !r.text().equals(BODY)) {
            throw new IllegalStateException(what + ": expected 200 '" + BODY + "', got " + r);
        }
    }

    /** Compiles the Java function with javac into {@code dir/classes}, against the jar (as Nest would). */
    private Path compileDirect(Path source, Path dir) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no Java compiler: run the benchmark with a JDK, not a JRE");
        }
        Path classes = dir.resolve("classes");
        try {
            Files.createDirectories(classes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, err, err, "--release", "21", "-proc:none", "-cp", jar.toString(), "-d",
                classes.toString(), source.resolve("Handler.java").toString());
        if (rc != 0) {
            throw new IllegalStateException("javac failed on the benchmark's Handler.java:\n" + err.toString(StandardCharsets.UTF_8));
        }
        return dir;
    }

    // ---- cold start ----------------------------------------------------------------------------------------

    /**
     * N first requests, each to a function created for it (as the pool-hit benchmark does): create, invoke once,
     * delete. Every sample is kept; those not answered {@code x-nest-cold: true} are counted and reported, never
     * dropped silently.
     */
    private Cold coldStarts(NestNode node, String name, String runtime, String handler, int memoryMb, String digest) {
        say("\nCold starts, %s (%s-N): a new function each, then its first request", runtime, name);
        List<Double> client = new ArrayList<>();
        List<Double> deploy = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        int warmAnswers = 0;
        StringBuilder line = new StringBuilder("  ms:");
        for (int attempt = 0; attempt <= s.coldStarts(); attempt++) {
            String fn = name + "-" + attempt;
            long t0 = System.nanoTime();
            node.create(spec(fn, runtime, handler, memoryMb, 1, Optional.of("1s"), String.valueOf(attempt)), digest);
            double createMs = (System.nanoTime() - t0) / 1e6;
            BenchHttp.Response r = node.invoke("/fn/" + fn);
            checkHello(r, "first request to /fn/" + fn);
            boolean isCold = r.header("x-nest-cold").orElse("").equals("true");
            if (attempt == 0) {
                line.append(String.format(Locale.ROOT, " (%.0f%s)", r.nanos() / 1e6, isCold ? "" : " warm"));
            } else {
                // the first one also warms the server's own code paths: not recorded
                client.add(r.nanos() / 1e6);
                deploy.add(createMs);
                if (isCold) {
                    ids.add(r.header("x-nest-invocation-id").orElseThrow(() ->
                            new IllegalStateException("no x-nest-invocation-id on " + r)));
                } else {
                    warmAnswers++;
                }
                line.append(String.format(Locale.ROOT, " %.0f%s", r.nanos() / 1e6, isCold ? "" : "(warm)"));
            }
            node.delete(fn);
            if (s.coldPauseMillis() > 0) {
                BenchHttp.sleep(s.coldPauseMillis());
            }
        }
        say("%s", line);
        List<Double> server = new ArrayList<>();
        Map<String, List<Double>> phases = new LinkedHashMap<>();
        for (String id : ids) {
            JsonNode inv = node.invocation(id);
            if (!inv.path("cold").asBoolean(false)) {
                say("  WARNING: invocation %s answered x-nest-cold: true but is recorded as warm: %s", id, inv);
            }
            server.add(inv.path("durationMs").asDouble(Double.NaN));
            inv.path("phases").properties().forEach(e ->
                    phases.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue().asDouble()));
        }
        Cold c = new Cold(client, server, deploy, phases, warmAnswers);
        say("  p50 %s  p99 %s  (server p50 %s; phases p50: %s)%s", ms(Stats.median(client)),
                ms(Stats.percentile(client, 99)), ms(Stats.median(server)), phaseLine(c),
                warmAnswers > 0 ? "; " + warmAnswers + " first requests were not cold" : "");
        return c;
    }

    private static String phaseLine(Cold c) {
        StringBuilder sb = new StringBuilder();
        for (String p : phaseNames(List.of(c))) {
            List<Double> v = c.phases().getOrDefault(p, List.of());
            sb.append(sb.isEmpty() ? "" : ", ").append(p).append(' ').append(v.isEmpty() ? "-" : ms(Stats.median(v)));
        }
        return sb.toString();
    }

    private static List<String> phaseNames(java.util.Collection<Cold> colds) {
        List<String> names = new ArrayList<>(PHASES);
        for (Cold c : colds) {
            for (String p : c.phases().keySet()) {
                if (!names.contains(p)) {
                    names.add(p);
                }
            }
        }
        return names;
    }

    // ---- specs, files ----------------------------------------------------------------------------------

    private static ObjectNode spec(String name, String runtime, String handler, int memoryMb, int concurrency,
                                   Optional<String> keepAlive, String run) {
        ObjectNode n = BenchHttp.JSON.createObjectNode();
        n.put("name", name);
        n.put("runtime", runtime);
        n.put("deploy", "dedicated"); // a pod of its own: what this benchmark measures
        n.put("handler", handler);
        n.put("memory", memoryMb);
        n.put("timeout", "30s");
        n.put("concurrency", concurrency);
        n.putObject("env").put("BENCH_RUN", run);
        ObjectNode scaling = n.putObject("scaling");
        scaling.put("min", 0);
        scaling.put("max", 1);
        keepAlive.ifPresent(k -> scaling.put("keep-alive", k));
        return n;
    }

    private Path runtimesDir() {
        return s.root().resolve("runtimes");
    }

    private static Path write(Path dir, String file, String text) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(file), text);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // a temp directory left behind is harmless
        }
    }

    // ---- report --------------------------------------------------------------------------------------------

    private String report() {
        StringBuilder b = new StringBuilder();
        b.append("Measured ").append(machine.date()).append(" on ").append(machine.cores()).append(" cores (`nproc`), ")
                .append(machine.cpu()).append(", Linux ").append(machine.kernel()).append("; ").append(machine.jdk())
                .append("; Node.js ").append(machine.node()).append("; nginx ").append(machine.nginx()).append("; wrk ")
                .append(machine.wrk()).append("; Nest ").append(machine.commit()).append(". Load average (1/5/15 min) ")
                .append(loadStart).append(" at the start, ").append(loadEnd).append(" at the end.\n\n");
        b.append("Command: `").append(command()).append("` (").append(settingsText()).append(").\n");
        b.append("The server runs as `").append(serverCommand()).append("` (embedded defaults, `process` driver); ")
                .append("the directly started hosts use the `launch` line of their `runtime.yaml`, as Nest does.\n\n");
        b.append("The load generator (wrk), the proxy (nginx or Nest) and the runtime host share the machine's ")
                .append(machine.cores()).append(" cores.\n");
        if (!s.full()) {
            b.append("\n**Quick run** (NEST_BENCH_SECONDS < ").append(BenchSettings.FULL_SECONDS)
                    .append("): a smoke test of the harness, not results.\n");
        }
        if (!warm.isEmpty()) {
            warmReport(b);
        }
        if (!cold.isEmpty()) {
            coldReport(b);
        }
        serverReport(b);
        BenchBlock block = block();
        if (!block.ratios().isEmpty() || !block.rows().isEmpty()) {
            b.append("\nFor `distribution/bench.sh --check` and the README's Specification table (floors are kept from ")
                    .append("the doc when a run is written; noise: the spread of the rounds):\n\n").append(block.render());
        }
        return b.toString();
    }

    /** The section's guarded ratios and its rows of the README's table. */
    BenchBlock block() {
        List<BenchBlock.Ratio> ratios = new ArrayList<>();
        List<BenchBlock.Row> rows = new ArrayList<>();
        String cmd = "`distribution/bench.sh`";
        if (!startupMs.isEmpty()) {
            String which = startsWithCache == startupMs.size() ? "second and later starts, after the cache the first "
                    + "start trains (ADR 0033); " : startsWithCache == 0 ? "" : startsWithCache + " of " + startupMs.size()
                    + " starts with the cache the first start trained; ";
            rows.add(new BenchBlock.Row(10, "node start to `/health` 200, `" + serverCommandShort() + "` (" + which
                    + "embedded ZooKeeper, H2, fresh data dir), median of " + startupMs.size() + "; resident memory at ready",
                    "<= 1.5 s; <= 150 MiB", String.format(Locale.ROOT, "%.2f s (min %.2f, max %.2f); %.0f MiB",
                            Stats.median(startupMs) / 1000, Stats.min(startupMs) / 1000, Stats.max(startupMs) / 1000,
                            Stats.median(rssStartMiB)), cmd));
            // resident memory at ready hardly depends on how busy the machine is: guarded as measured (MiB)
            ratios.add(guard("startup.plain-rss-mib", rssStartMiB, false));
        }
        if (!startupOffMs.isEmpty()) {
            List<Double> r = new ArrayList<>();
            List<Double> byHand = new ArrayList<>();
            List<Double> overDirect = new ArrayList<>();
            for (int i = 0; i < startupOffMs.size(); i++) {
                r.add(startupMs.get(i) / startupOffMs.get(i));
                byHand.add(startupAotMs.get(i) / startupOffMs.get(i));
                overDirect.add(startupMs.get(i) - startupAotMs.get(i));
            }
            // as before ADR 0033: the JVM given the cache by hand over the start without it, same run; and its
            // inverse, which grows when start-up does more work eagerly (the cache hides part of loading more classes)
            ratios.add(guard("startup.aot-over-plain", byHand, false));
            ratios.add(guard("startup.plain-over-aot", byHand.stream().map(x -> 1 / x).toList(), false));
            // the shipped start (it re-executes itself with the cache) over the start without it
            ratios.add(guard("startup.shipped-over-off", r, false));
            rows.add(new BenchBlock.Row(15, "the first start of a jar, before its AOT cache exists (an empty cache "
                    + "directory each), and any start with the cache off (`java -Dnest.aot=off -jar nest.jar`), "
                    + "alternating with the row above, median of " + startupOffMs.size() + " each; the row above over "
                    + "it", "", String.format(Locale.ROOT, "first start %s (it trains the cache in the background "
                    + "after ready: %.0f s); cache off %.2f s, %.0f MiB; row above = %s of the cache-off start; "
                    + "`-XX:AOTCache` given by hand %.2f s = %s of it, so the re-execution adds %+.0f ms median",
                    firstStartFigure(), trainingSeconds, Stats.median(startupOffMs) / 1000,
                    Stats.median(rssStartOffMiB), spread(r, "x"), Stats.median(startupAotMs) / 1000,
                    spread(byHand, "x"), Stats.median(overDirect)), cmd));
        }
        for (String rt : List.of("nodejs", "java")) {
            List<Double> t = throughputRatios(rt, "nest");
            if (t.isEmpty()) {
                continue;
            }
            ratios.add(guard("warm." + rt + ".nest-over-direct-throughput", t, true));
            List<Double> p50 = added(rt, "nest", "p50");
            ratios.add(guard("warm." + rt + ".nest-added-p50-ms", p50, false));
            String nginx = rt.equals("nodejs") && !throughputRatios(rt, "nginx").isEmpty()
                    ? "; nginx in front of the same host: " + spread(throughputRatios(rt, "nginx"), "x") : "";
            rows.add(new BenchBlock.Row(rt.equals("nodejs") ? 20 : 30, "warm throughput through Nest / calling the "
                    + label(rt) + " host directly (wrk, " + s.connections() + " connections, saturated; median of "
                    + t.size() + " rounds)", ">= 0.5x", spread(t, "x") + " (" + kilo(median(rt, "nest")) + " vs "
                    + kilo(median(rt, "direct")) + " req/s" + nginx + ")", cmd));
        }
        List<Double> overPlain = throughputRatios("nodejs", "plain").stream().map(x -> 1 / x).toList();
        if (!overPlain.isEmpty()) {
            ratios.add(guard("warm.nodejs.host-over-plain-throughput", overPlain, true));
            rows.add(new BenchBlock.Row(22, "the Node.js runtime host called directly / a plain Node `http` server "
                    + "answering the same bytes to the same requests (same Node.js and heap limit, order alternating "
                    + "by round; wrk, " + s.connections() + " connections, saturated; median of "
                    + overPlain.size() + " rounds)", ">= 0.95x", spread(overPlain, "x") + " (" + kilo(median("nodejs",
                    "direct")) + " vs " + kilo(median("nodejs", "plain")) + " req/s)", cmd));
        }
        if (!added("nodejs", "nest", "p50").isEmpty()) {
            StringBuilder m = new StringBuilder();
            for (String rt : List.of("nodejs", "java")) {
                m.append(m.isEmpty() ? "" : "; ").append(label(rt)).append(' ');
                m.append(String.join(" / ", List.of("p50", "p99", "p99.9").stream()
                        .map(q -> String.format(Locale.ROOT, "%+.2f", Stats.median(added(rt, "nest", q)))).toList()))
                        .append(" ms");
            }
            m.append(" (nginx: ").append(String.join(" / ", List.of("p50", "p99", "p99.9").stream()
                    .map(q -> String.format(Locale.ROOT, "%+.2f", Stats.median(added("nodejs", "nginx", q)))).toList()))
                    .append(" ms)");
            rows.add(new BenchBlock.Row(40, "latency Nest adds to a warm invocation, open loop at " + s.rate()
                    + " req/s, p50 / p99 / p99.9 (median of rounds)", "<= 0.5 ms p50", m.toString(), cmd));
        }
        cold.forEach((rt, c) -> rows.add(new BenchBlock.Row(rt.equals("Node.js") ? 60 : 70, "first request to a newly "
                + "created function, `process` driver, default warm pool, end to end p50 / p99 (" + rt + ")", "",
                ms(Stats.median(c.clientMs())) + " / " + ms(Stats.percentile(c.clientMs(), 99)) + " (" + (c.clientMs().size()
                        - c.warmAnswers()) + " of " + c.clientMs().size() + " cold)", cmd)));
        if (rssReady != null) {
            rows.add(new BenchBlock.Row(250, "server resident memory at ready, `" + serverCommandShort() + "`",
                    "<= 150 MiB", mib(rssReady[0]), cmd));
        }
        return new BenchBlock(ratios, rows);
    }

    private static BenchBlock.Ratio guard(String id, List<Double> rounds, boolean higher) {
        double med = Stats.median(rounds);
        return new BenchBlock.Ratio(id, med, med, Stats.max(rounds) - Stats.min(rounds), higher);
    }

    private double median(String runtime, String path) {
        return Stats.median(all(runtime, path).stream().map(w -> w.result().requestsPerSecond()).toList());
    }

    private static String kilo(double v) {
        return String.format(Locale.ROOT, "%.1fk", v / 1000);
    }

    /** The server's command as the row names it: {@code java [options] -jar nest.jar}. */
    private String serverCommandShort() {
        List<String> out = new ArrayList<>(List.of("java"));
        out.addAll(s.serverJvmOptions());
        out.addAll(List.of("-jar", "nest.jar"));
        return String.join(" ", out);
    }

    private void warmReport(StringBuilder b) {
        b.append("\n### Warm path: throughput (saturated, closed loop)\n\n");
        b.append("A trivial function (answers `hello`) with one instance serving all ").append(s.connections())
                .append(" connections (`concurrency: ").append(s.connections()).append("`, `scaling.max: 1`); `wrk -t1 -c")
                .append(s.connections()).append(" -d").append(s.seconds()).append("s --latency` after a ")
                .append(s.warmupSeconds()).append(" s warm-up run. ").append(s.rounds()).append(" round(s); each round: ")
                .append("the direct and nginx baselines of both runtimes, then both runtimes through Nest. These runs ")
                .append("saturate the cores, so they give throughput only; their latencies are those of a queue.\n\n");
        b.append("| runtime | path | req/s per round | errors |\n|---|---|---|---:|\n");
        for (Warm first : firstOfEachPath()) {
            List<Warm> all = all(first.runtime(), first.path());
            b.append("| ").append(label(first.runtime())).append(" | ").append(first.description()).append(" | ")
                    .append(String.join(", ", all.stream().map(w -> String.format(Locale.ROOT, "%,.0f",
                            w.result().requestsPerSecond())).toList())).append(" | ")
                    .append(all.stream().mapToLong(w -> w.result().errors()).sum()).append(" |\n");
        }
        b.append("\n### Warm path: added latency (open loop at ").append(s.rate()).append(" req/s)\n\n");
        b.append("`OpenLoop` (in the benchmark code): ").append(s.rate()).append(" GETs per second for ").append(s.seconds())
                .append(" s on ").append(OPEN_LOOP_CONNECTIONS).append(" kept-alive connections, each request's latency ")
                .append("measured from when it was due, not when it was sent (no coordinated omission), right after ")
                .append("the path's wrk run. Percentiles over all rounds' requests; *added* is the path's percentile ")
                .append("minus the direct path's, per round, median over rounds.\n\n");
        b.append("| runtime | path | p50 | p99 | p99.9 | max | errors |\n|---|---|---:|---:|---:|---:|---:|\n");
        for (Warm first : firstOfEachPath()) {
            List<Warm> all = all(first.runtime(), first.path());
            b.append("| ").append(label(first.runtime())).append(" | ").append(first.description()).append(" | ")
                    .append(ms(median(all, o -> o.p50Ms()))).append(" | ").append(ms(median(all, o -> o.p99Ms())))
                    .append(" | ").append(ms(median(all, o -> o.p999Ms()))).append(" | ")
                    .append(ms(all.stream().mapToDouble(w -> w.open().maxMs()).max().orElse(Double.NaN))).append(" | ")
                    .append(all.stream().mapToLong(w -> w.open().errors()).sum()).append(" |\n");
        }
        b.append("\n| ratio / difference (median over rounds; spread min..max) | Node.js | Java | target |\n")
                .append("|---|---|---|---|\n");
        b.append("| throughput through Nest / direct | ").append(spread(throughputRatios("nodejs", "nest"), "x"))
                .append(" | ").append(spread(throughputRatios("java", "nest"), "x")).append(" | >= 0.5 |\n");
        b.append("| throughput through nginx / direct | ").append(spread(throughputRatios("nodejs", "nginx"), "x"))
                .append(" | - | reference |\n");
        b.append("| throughput of a plain Node `http` server / direct | ")
                .append(spread(throughputRatios("nodejs", "plain"), "x")).append(" | - | reference (host target: direct / plain >= 0.95) |\n");
        for (String q : List.of("p50", "p99", "p99.9")) {
            b.append("| added ").append(q).append(" latency through Nest (open loop) | ")
                    .append(spread(added("nodejs", "nest", q), " ms")).append(" | ")
                    .append(spread(added("java", "nest", q), " ms")).append(" | ").append(q.equals("p50") ? "<= 0.5 ms" : "")
                    .append(" |\n");
            b.append("| added ").append(q).append(" latency through nginx (open loop) | ")
                    .append(spread(added("nodejs", "nginx", q), " ms")).append(" | - | reference |\n");
        }
    }

    private List<Warm> firstOfEachPath() {
        List<String> order = List.of("direct", "plain", "nginx", "nest");
        return warm.stream().filter(w -> w.round() == 1).sorted(Comparator.comparing((Warm w) -> !w.runtime().equals("nodejs"))
                .thenComparing(w -> order.indexOf(w.path()))).toList();
    }

    private List<Warm> all(String runtime, String path) {
        return warm.stream().filter(w -> w.runtime().equals(runtime) && w.path().equals(path)).toList();
    }

    private static double median(List<Warm> ws, java.util.function.ToDoubleFunction<OpenLoop.Result> f) {
        return Stats.median(ws.stream().map(w -> f.applyAsDouble(w.open())).toList());
    }

    /** Per round, the path's throughput over the direct path's. */
    List<Double> throughputRatios(String runtime, String path) {
        List<Double> out = new ArrayList<>();
        for (int r = 1; r <= s.rounds(); r++) {
            Optional<Warm> d = find(runtime, "direct", r);
            Optional<Warm> o = find(runtime, path, r);
            if (d.isPresent() && o.isPresent()) {
                out.add(o.get().result().requestsPerSecond() / d.get().result().requestsPerSecond());
            }
        }
        return out;
    }

    /** Per round, the path's open-loop percentile minus the direct path's, in ms. */
    List<Double> added(String runtime, String path, String q) {
        List<Double> out = new ArrayList<>();
        for (int r = 1; r <= s.rounds(); r++) {
            Optional<Warm> d = find(runtime, "direct", r);
            Optional<Warm> o = find(runtime, path, r);
            if (d.isPresent() && o.isPresent()) {
                out.add(pick(o.get().open(), q) - pick(d.get().open(), q));
            }
        }
        return out;
    }

    private static double pick(OpenLoop.Result r, String q) {
        return switch (q) {
            case "p50" -> r.p50Ms();
            case "p99" -> r.p99Ms();
            default -> r.p999Ms();
        };
    }

    private Optional<Warm> find(String runtime, String path, int r) {
        return warm.stream().filter(w -> w.runtime().equals(runtime) && w.path().equals(path) && w.round() == r).findFirst();
    }

    private static String spread(List<Double> v, String unit) {
        if (v.isEmpty()) {
            return "-";
        }
        String f = unit.equals("x") ? "%.2fx" : "%+.2f" + unit;
        String med = String.format(Locale.ROOT, f, Stats.median(v));
        return v.size() == 1 ? med : med + " (" + String.format(Locale.ROOT, f, Stats.min(v)) + ".."
                + String.format(Locale.ROOT, f, Stats.max(v)) + ")";
    }

    private void coldReport(StringBuilder b) {
        int n = cold.values().iterator().next().clientMs().size();
        b.append("\n### Cold start\n\n");
        b.append(n).append(" first requests per runtime, each to a function created for it (`POST /api/v1/functions`, ")
                .append("then one `GET /fn/{name}`, then `DELETE`), with the node's default warm pool; one unrecorded ")
                .append("sample before them. Every sample counts: the table says how many were answered ")
                .append("`x-nest-cold: true`. Client time: from sending the request to the whole response, on a kept-alive ")
                .append("connection to the server. Nearest-rank percentiles (with 20 samples, p99 is the slowest). Server ")
                .append("and phases: the invocation records of the cold samples (gateway arrival to response).\n\n");
        b.append("| runtime | cold / samples | p50 | p99 | min | server p50 | create (POST) p50 |\n")
                .append("|---|---:|---:|---:|---:|---:|---:|\n");
        cold.forEach((rt, c) -> b.append("| ").append(rt).append(" | ").append(c.clientMs().size() - c.warmAnswers())
                .append(" / ").append(c.clientMs().size()).append(" | ").append(ms(Stats.median(c.clientMs()))).append(" | ")
                .append(ms(Stats.percentile(c.clientMs(), 99))).append(" | ").append(ms(Stats.min(c.clientMs())))
                .append(" | ").append(ms(Stats.median(c.serverMs()))).append(" | ").append(ms(Stats.median(c.deployMs())))
                .append(" |\n"));
        List<String> names = phaseNames(cold.values());
        b.append("\nServer-side phases (`GET /api/v1/invocations/{id}`), medians. `queue` is the whole wait for an ")
                .append("instance, so on a cold start it contains `pod` (process start to `/health` ready), `load` and ")
                .append("`init` (the host's `/load` timings); `exec` is the forwarded request itself.\n\n| runtime | ")
                .append(String.join(" | ", names)).append(" |\n|---|").append("---:|".repeat(names.size())).append('\n');
        cold.forEach((rt, c) -> {
            b.append("| ").append(rt).append(" |");
            for (String p : names) {
                List<Double> v = c.phases().getOrDefault(p, List.of());
                b.append(' ').append(v.isEmpty() ? "-" : ms(Stats.median(v))).append(" |");
            }
            b.append('\n');
        });
        int notCold = cold.values().stream().mapToInt(Cold::warmAnswers).sum();
        if (notCold > 0) {
            b.append("\n").append(notCold).append(" first requests to a new function were answered warm; they are in the ")
                    .append("client figures above and not in the server ones.\n");
        }
    }

    private void serverReport(StringBuilder b) {
        b.append("\n### Server\n\n| figure | value |\n|---|---:|\n");
        if (!startupMs.isEmpty()) {
            if (firstStartMs >= 0) {
                b.append("| first start of the jar (no AOT cache yet), launch to `/health` 200 | ").append(String.format(
                        Locale.ROOT, "%s; the one before the rounds trained the cache %.1f s after ready",
                        firstStartFigure(), trainingSeconds)).append(" |\n");
            }
            if (!installedMs.isEmpty()) {
                b.append("| the first and later starts after the install-time training (`java -jar nest.jar aot-cache`, ")
                        .append(String.format(Locale.ROOT, "%.1f s, as `distribution/setup.sh` runs it), %d of %d with "
                                        + "that cache, median of %d | %.0f ms (min %.0f, max %.0f), %.0f MiB |\n",
                                installTrainingSeconds, installedWithCache, installedMs.size(), installedMs.size(),
                                Stats.median(installedMs), Stats.min(installedMs), Stats.max(installedMs),
                                Stats.median(installedRssMiB)));
            }
            if (!cpuAtReady.isEmpty()) {
                b.append("| CPU time (user + system) of the server at its first `/health` 200, median | ")
                        .append(String.join(" / ", cpuAtReady.entrySet().stream().map(e -> String.format(Locale.ROOT,
                                "%s %.2f s", e.getKey(), Stats.median(e.getValue()))).toList())).append(" |\n");
            }
            if (!startupOffMs.isEmpty()) {
                b.append("| startup with the cache off (`-Dnest.aot=off`), median of ").append(startupOffMs.size())
                        .append(" | ").append(String.format(Locale.ROOT, "%.0f ms (min %.0f, max %.0f)",
                                Stats.median(startupOffMs), Stats.min(startupOffMs), Stats.max(startupOffMs))).append(" |\n");
                b.append("| startup with `-XX:AOTCache` given by hand, median of ").append(startupAotMs.size())
                        .append(" | ").append(String.format(Locale.ROOT, "%.0f ms (min %.0f, max %.0f)",
                                Stats.median(startupAotMs), Stats.min(startupAotMs), Stats.max(startupAotMs))).append(" |\n");
                b.append("| VmRSS at ready, shipped / cache off / by hand, median | ").append(String.format(Locale.ROOT,
                        "%.0f / %.0f / %.0f MiB", Stats.median(rssStartMiB), Stats.median(rssStartOffMiB),
                        Stats.median(rssStartAotMiB))).append(" |\n");
            }
            b.append("| startup: `java -jar nest.jar` as shipped (").append(startsWithCache).append(" of ")
                    .append(startupMs.size()).append(" with the cache the first start trained), launch to `/health` 200, median of ")
                    .append(startupMs.size()).append(" (fresh data dir each) | ").append(String.format(Locale.ROOT, "%.0f ms (min %.0f, max %.0f)",
                            Stats.median(startupMs), Stats.min(startupMs), Stats.max(startupMs))).append(" |\n");
            if (!startupLoggedMs.isEmpty()) {
                b.append("| startup as logged by the server (\"started in\"), median | ")
                        .append(String.format(Locale.ROOT, "%.0f ms", Stats.median(startupLoggedMs))).append(" |\n");
            }
        }
        if (rssReady != null) {
            b.append("| resident memory (VmRSS) at ready | ").append(mib(rssReady[0])).append(" |\n");
        }
        if (rssWarm != null) {
            b.append("| VmRSS after the warm runs | ").append(mib(rssWarm[0])).append(" |\n");
        }
        if (rssCold != null) {
            b.append("| VmRSS after the cold starts | ").append(mib(rssCold[0])).append(" |\n");
        }
        long[] last = rssCold != null ? rssCold : rssWarm != null ? rssWarm : rssReady;
        if (last != null) {
            b.append("| peak VmRSS (VmHWM) | ").append(mib(last[1])).append(" |\n");
        }
    }

    private String command() {
        StringBuilder c = new StringBuilder();
        if (s.seconds() != BenchSettings.FULL_SECONDS) {
            c.append("NEST_BENCH_SECONDS=").append(s.seconds()).append(' ');
        }
        // the knobs that differ from a full run's defaults, so that the command reruns what was measured
        if (s.warmupSeconds() != 5) {
            c.append("NEST_BENCH_WARMUP=").append(s.warmupSeconds()).append(' ');
        }
        if (s.rounds() != 3) {
            c.append("NEST_BENCH_ROUNDS=").append(s.rounds()).append(' ');
        }
        if (s.startupRuns() != 5) {
            c.append("NEST_BENCH_STARTS=").append(s.startupRuns()).append(' ');
        }
        if (s.rate() != 1000) {
            c.append("NEST_BENCH_RATE=").append(s.rate()).append(' ');
        }
        return c.append("distribution/bench.sh").toString();
    }

    private String settingsText() {
        return String.format(Locale.ROOT, "%d round(s) of a %d s wrk run after a %d s warm-up and a %d s open-loop run at "
                + "%d req/s per path, %d connections, %d first requests per runtime, %d startup(s)", s.rounds(), s.seconds(),
                s.warmupSeconds(), s.seconds(), s.rate(), s.connections(), s.coldStarts(), s.startupRuns());
    }

    /**
     * {@code NEST_BENCH_HOST_SOCKET=true|false}: the server's {@code sidecar.drivers.process.host-socket} (ADR 0032), in
     * {@code config/nest.yaml} of its working directory, so one jar measures the hop over the hosts' Unix sockets and
     * over TCP; unset: the server's default (true).
     */
    private static void hostSocketConfig(Path nodeDir) {
        String v = System.getenv("NEST_BENCH_HOST_SOCKET");
        if (v == null || v.isBlank()) {
            return;
        }
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("NEST_BENCH_HOST_SOCKET: '" + v + "' is not true or false");
        }
        say("server: sidecar.drivers.process.host-socket: %s", v);
        write(nodeDir.resolve("config"), "nest.yaml", "sidecar:\n  drivers:\n    process:\n      host-socket: " + v + "\n");
    }

    private String serverCommand() {
        if (serverArgv.isEmpty()) {
            return "java -jar nest.jar server";
        }
        List<String> out = new ArrayList<>();
        out.add("java");
        int i = 1;
        for (; i < serverArgv.size() && !serverArgv.get(i).equals("-jar"); i++) {
            out.add(serverArgv.get(i));
        }
        out.addAll(List.of("-jar", "nest.jar", "server", "--port", "P", "--data", "TMP/data", "--functions",
                "TMP/functions", "--runtimes", "runtimes"));
        return String.join(" ", out);
    }

    private static String label(String runtime) {
        return runtime.equals("nodejs") ? "Node.js" : "Java";
    }

    static String ms(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%.0f ms", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f ms", v) : String.format(Locale.ROOT, "%.2f ms", v);
    }

    static String mib(long kb) {
        return kb < 0 ? "-" : String.format(Locale.ROOT, "%.0f MiB", kb / 1024.0);
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
