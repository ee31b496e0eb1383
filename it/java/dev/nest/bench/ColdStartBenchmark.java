package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.artifact.PackageWriter;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import dev.nest.it.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.DoubleStream;
import java.util.stream.Stream;

/**
 * Cold starts end to end: for a Node.js and a Java function with code packages of 1 MiB and 50 MiB, the latency of
 * the first request (client send to response) with a warm-pool pod available, the same with the pool disabled
 * (size 0), and, when a Docker engine answers, the baseline of {@code docker run} of the same runtime image with the
 * same unpacked code mounted until its first response; and pool-hit cold starts whose code is not on the node yet
 * (a second node in this process holds it; the measured node fetches it during the start). Every cold start is a
 * new function (created, invoked once, deleted); the pool-hit runs wait until the pool holds a ready pod before each request. Phases come from the
 * invocation records ({@code GET /api/v1/invocations/{id}}).
 *
 * <p>Parameters (system properties): {@code nest.bench.driver} (process; docker, or any installed driver),
 * {@code nest.bench.starts} (30 per case), {@code nest.bench.runtimes} (nodejs,java), {@code nest.bench.sizes-mib}
 * (1,50), {@code nest.bench.baseline} (true: measure {@code docker run} when Docker answers), {@code nest.bench.fetched}
 * (true: also cold starts whose code a peer node in this process holds, fetched during the start; only: those
 * alone, written to their own section). Writes its section of
 * docs/BENCHMARKS.md unless {@code NEST_BENCH_DOCS=false}, with the README rows the run measured ({@link #rows},
 * {@link #fetchedRows}).
 */
public final class ColdStartBenchmark {
    private static final String CLUSTER_SECRET = "nest-benchmark-cluster-secret";
    static final String HEADING = "## Cold start: warm pool vs. new pod vs. docker run";

    /** One section per driver, so that runs on different drivers keep each other's figures. */
    static String heading(String driver) {
        return HEADING + " (" + driver + " driver)";
    }

    static final String WHERE_THE_TIME_GOES = """
            Where a pool hit's time goes: `pool` (taking the pod) is tens of microseconds; what remains is `load` (the
            host reading and compiling the handler: a package's size does not matter, only the files the handler
            imports are read) and the first `exec` of a fresh host (its invocation code paths run for the first time),
            plus the gateway's hand-over (the difference between "in the node" and the sum of the phases) and the
            client's own time (end to end less "in the node"). An earlier design refilled the pool the moment a pod
            was taken: the new host's start then competed for the 2 cores with the taken pod's `/load` and first
            request, which doubled both (Node.js 1 MiB: 53 ms p50 end to end); the pool now refills 50 ms after the
            taken pod's first request ends (24 ms, then 17-21 ms). Java's first `exec` (15-20 ms) is the JVM
            interpreting the host's invocation path for the first time.
            """;
    private static final List<String> PHASES = List.of("queue", "placement", "pool", "pod", "fetch", "decompress",
            "unpack", "load", "init", "exec");

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final Path dataDir;

    private ColdStartBenchmark(String base, Path dataDir) {
        this.base = base;
        this.dataDir = dataDir;
    }

    /** One case's samples: end-to-end ms and the phases of each start. */
    record Samples(List<Double> totalMs, List<Double> serverMs, List<Map<String, Double>> phases) {
        Samples() {
            this(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        }

        double p(double pct) {
            return Stats.percentile(totalMs, pct);
        }

        /** The median of phase {@code name} over the starts that had it; NaN when fewer than half had it. */
        double phaseMedian(String name) {
            List<Double> v = phases.stream().filter(m -> m.containsKey(name)).map(m -> m.get(name)).toList();
            return !v.isEmpty() && v.size() * 2 >= phases.size() ? Stats.median(v) : Double.NaN;
        }

        String phaseMedians() {
            StringBuilder b = new StringBuilder();
            for (String name : PHASES) {
                double m = phaseMedian(name);
                if (!Double.isNaN(m)) {
                    b.append(b.isEmpty() ? "" : ", ").append(name).append(' ')
                            .append(String.format(Locale.ROOT, "%.2f", m));
                }
            }
            return b.toString();
        }
    }

    /**
     * What the README rows quote of one runtime and package size: the pool hit's p50 and p99, a new pod's p50 and,
     * when measured, {@code docker run}'s p50 (NaN when not), all end to end in ms.
     */
    record CaseFigures(double hitP50, double hitP99, double newPodP50, double dockerRunP50) {
        static CaseFigures of(Samples hit, Samples newPod, Optional<Samples> dockerRun) {
            return new CaseFigures(hit.p(50), hit.p(99), newPod.p(50), dockerRun.map(r -> r.p(50)).orElse(Double.NaN));
        }

        boolean hasDockerRun() {
            return !Double.isNaN(dockerRunP50);
        }
    }

    /** What row 140 quotes of one package fetched from a peer: the end-to-end p50 and its phases' medians, ms. */
    record FetchedFigures(double p50, double fetch, double decompress, double unpack) {
        static FetchedFigures of(Samples s) {
            return new FetchedFigures(s.p(50), s.phaseMedian("fetch"), s.phaseMedian("decompress"), s.phaseMedian("unpack"));
        }

        /** A phase most starts did not record (NaN): the row would say "NaN", so it is not written. */
        boolean incomplete() {
            return DoubleStream.of(p50, fetch, decompress, unpack).anyMatch(Double::isNaN);
        }
    }

    /** The key of a case in the maps {@link #rows} reads. */
    static String key(String runtime, int mib) {
        return runtime + " " + mib + " MiB";
    }

    /**
     * The README rows a run on {@code driver} measured, from its {@code cases} (by {@link #key}): rows 80, 90, 120 and
     * 130 for the {@code process} driver, row 100 for {@code docker}, none for other drivers. A row is written only
     * when the run measured every case it quotes (a run with fewer runtimes, sizes or no {@code docker run} baseline
     * leaves it out, and the recorded row is kept), so that the figures of one row always come from one run.
     */
    static List<BenchBlock.Row> rows(String driver, Map<String, CaseFigures> cases) {
        CaseFigures n1 = cases.get(key("nodejs", 1));
        CaseFigures n50 = cases.get(key("nodejs", 50));
        CaseFigures j1 = cases.get(key("java", 1));
        CaseFigures j50 = cases.get(key("java", 50));
        List<BenchBlock.Row> rows = new ArrayList<>();
        if (driver.equals("process")) {
            String cmd = "`distribution/bench-coldstart.sh`";
            if (n1 != null && n50 != null) {
                rows.add(BenchBlock.row(80, "cold start from a warm-pool pod, end to end p50 / p99 (Node.js, 1 MiB "
                        + "package, `process` driver)", "<= 30 ms / <= 80 ms", cmd,
                        "%.1f ms / %.1f ms (50 MiB: %.1f ms / %.1f ms)", n1.hitP50(), n1.hitP99(), n50.hitP50(), n50.hitP99()));
            }
            if (j1 != null && j50 != null) {
                rows.add(BenchBlock.row(90, "same for Java (1 MiB / 50 MiB), p50", "", cmd, "%.1f ms / %.1f ms",
                        j1.hitP50(), j50.hitP50()));
            }
            if (n1 != null && j1 != null && n1.hasDockerRun() && j1.hasDockerRun()) {
                rows.add(BenchBlock.row(120, "pool-hit cold start (`process` driver, no container) vs. `docker run` of "
                        + "the same image with the code mounted, p50 (Node.js 1 MiB): not like for like, see the `docker` "
                        + "and `containerd` rows for that", "", cmd, "%.0fx (%.1f ms vs %.0f ms; Java %.0fx)",
                        n1.dockerRunP50() / n1.hitP50(), n1.hitP50(), n1.dockerRunP50(), j1.dockerRunP50() / j1.hitP50()));
            }
            if (n1 != null && j1 != null) {
                rows.add(BenchBlock.row(130, "pool-hit cold start vs. a new pod with the pool off, p50 (Node.js / Java, "
                        + "1 MiB)", "", cmd, "%.0fx / %.0fx faster", n1.newPodP50() / n1.hitP50(),
                        j1.newPodP50() / j1.hitP50()));
            }
        } else if (driver.equals("docker") && n1 != null && n50 != null && j1 != null && n1.hasDockerRun()) {
            rows.add(BenchBlock.row(100, "same, `docker` driver, p50 / p99 (Node.js 1 MiB; 50 MiB; Java 1 MiB); vs. "
                    + "`docker run`", "<= 30 ms / <= 80 ms; >= 10x", "`distribution/bench-coldstart.sh docker`",
                    "%.1f ms / %.1f ms; %.1f ms / %.1f ms; %.1f ms / %.1f ms; %.0fx (%.0f ms)", n1.hitP50(), n1.hitP99(),
                    n50.hitP50(), n50.hitP99(), j1.hitP50(), j1.hitP99(), n1.dockerRunP50() / n1.hitP50(),
                    n1.dockerRunP50()));
        }
        return rows;
    }

    /**
     * Row 140, from a {@code -Dnest.bench.fetched=only} run on the {@code process} driver that fetched both the 1 MiB
     * and the 50 MiB Node.js package ({@code fetched} by size); otherwise none (the recorded row is kept).
     */
    static List<BenchBlock.Row> fetchedRows(String driver, Map<Integer, FetchedFigures> fetched) {
        FetchedFigures f1 = fetched.get(1);
        FetchedFigures f50 = fetched.get(50);
        if (!driver.equals("process") || f1 == null || f50 == null || Stream.of(f1, f50).anyMatch(FetchedFigures::incomplete)) {
            return List.of();
        }
        return List.of(BenchBlock.row(140, "pool-hit cold start whose code a peer holds (process driver, Node.js 1 MiB "
                + "/ 50 MiB), p50, and its fetch / decompress / unpack medians", "",
                "`distribution/bench-coldstart.sh -Dnest.bench.fetched=only`",
                "%.1f ms (%.1f / %.2f / %.1f ms) / %.1f ms (%.1f / %.2f / %.1f ms)", f1.p50(), f1.fetch(), f1.decompress(),
                f1.unpack(), f50.p50(), f50.fetch(), f50.decompress(), f50.unpack()));
    }

    public static void main(String[] args) throws Exception {
        String load0 = Machine.loadAverage();
        String driver = System.getProperty("nest.bench.driver", "process");
        int starts = Integer.getInteger("nest.bench.starts", 30);
        List<String> runtimes = List.of(System.getProperty("nest.bench.runtimes", "nodejs,java").split(","));
        List<Integer> sizes = Stream.of(System.getProperty("nest.bench.sizes-mib", "1,50").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        boolean baseline = Boolean.parseBoolean(System.getProperty("nest.bench.baseline", "true")) && dockerAnswers();
        // like for like: the containerd driver is also compared with containerd's own CLI
        boolean ctrBaseline = Boolean.parseBoolean(System.getProperty("nest.bench.baseline", "true"))
                && driver.equals("containerd") && ctrAnswers();
        String fetched = System.getProperty("nest.bench.fetched", "true");
        boolean fetchedCases = fetched.equals("true") || fetched.equals("only");
        boolean others = !fetched.equals("only");

        Path tmp = Files.createTempDirectory("nest-coldstart-bench");
        Path fns = Files.createDirectories(tmp.resolve("functions"));
        NestConfig d = NestConfig.defaults();
        NestConfig.Sidecar s = d.sidecar();
        // containerd only: prepared containers (ADR 0031) for the new-pod starts
        int prepared = Integer.getInteger("nest.bench.prepared", 0);
        Map<String, Map<String, String>> drivers = new LinkedHashMap<>(d.sidecar().drivers());
        if (prepared > 0 && driver.equals("containerd")) {
            Map<String, String> o = new LinkedHashMap<>(drivers.getOrDefault("containerd", Map.of()));
            o.put("prepared", String.valueOf(prepared));
            drivers.put("containerd", o);
        }
        String preparedNote = prepared > 0 && driver.equals("containerd") ? ", prepared: " + prepared : "";
        Map<String, Integer> pool = new LinkedHashMap<>();
        runtimes.forEach(r -> pool.put(r, 0));
        // the 50 MiB packages go through POST /api/v1/artifacts as one zip
        d = new NestConfig(d.dataDir(), d.functionsDir(), d.runtimesDir(), new NestConfig.Server(d.server().host(),
                d.server().port(), 256L << 20, d.server().shutdownGrace()), d.node(), d.cluster(), d.sidecar(), d.store(), d.async());
        NestConfig config = d.withSidecar(new NestConfig.Sidecar(driver, s.portFrom(), s.portTo(), s.startTimeout(),
                        s.maxPods(), Duration.ZERO, drivers, new NestConfig.Pool(pool, s.pool().idle()), Duration.ZERO))
                .withPort(0).withDataDir(tmp.resolve("data")).withFunctionsDir(fns)
                .withRuntimesDir(Path.of("runtimes").toAbsolutePath());
        StringBuilder table = new StringBuilder("""
                | runtime | package | first request after | starts | p50 | p99 | in the node, p50 | phases, median ms |
                |---|---:|---|---:|---:|---:|---:|---|
                """);
        List<String> verdicts = new ArrayList<>();
        List<BenchBlock.Ratio> ratios = new ArrayList<>();
        Map<String, CaseFigures> cases = new LinkedHashMap<>();
        Map<Integer, FetchedFigures> fetchedFigures = new LinkedHashMap<>();
        try (NestServer server = others ? BenchAuth.started(NestServer.start(config)) : null) {
            ColdStartBenchmark b = server == null ? null
                    : new ColdStartBenchmark("http://127.0.0.1:" + server.port(), tmp.resolve("data"));
            for (String runtime : others ? runtimes : List.<String>of()) {
                for (int mib : sizes) {
                    Path code = b.writePackage(tmp, runtime, mib);
                    String digest = b.upload(code, runtime);
                    // one unmeasured start per case warms the node's own code paths
                    b.resize(runtime, 1);
                    b.coldStarts(runtime, digest, 1, true, "warm-up");
                    Samples hit = b.coldStarts(runtime, digest, starts, true, "hit");
                    b.resize(runtime, 0);
                    Samples miss = b.coldStarts(runtime, digest, starts, false, "miss");
                    Optional<Samples> run = baseline ? Optional.of(b.dockerRuns(runtime, digest, starts)) : Optional.empty();
                    Optional<Samples> ctr = ctrBaseline ? Optional.of(b.engineRuns("ctr", runtime, digest, starts))
                            : Optional.empty();
                    cases.put(key(runtime, mib), CaseFigures.of(hit, miss, run));
                    row(table, runtime, mib, "pool pod (pool hit)", hit, true);
                    row(table, runtime, mib, "new pod (" + driver + preparedNote + ", pool size 0)", miss, true);
                    run.ifPresent(r -> row(table, runtime, mib, "`docker run` of the image, code mounted", r, false));
                    ctr.ifPresent(r -> row(table, runtime, mib, "`ctr run` of the image, code mounted", r, false));
                    verdicts.add(String.format(Locale.ROOT, "%s %d MiB: pool hit %.1fx faster than a new pod at p50%s%s",
                            runtime, mib, miss.p(50) / hit.p(50),
                            run.map(r -> String.format(Locale.ROOT, ", %.1fx faster than docker run%s", r.p(50) / hit.p(50),
                                    driver.equals("process") ? " (not like for like: the process driver starts no "
                                            + "container; the docker and containerd sections compare containers)" : ""))
                                    .orElse(""),
                            ctr.map(r -> String.format(Locale.ROOT, ", %.1fx faster than ctr run", r.p(50) / hit.p(50)))
                                    .orElse("")));
                    // the guarded ratios (ADR 0026), same run: the pool hit over a new pod, a new pod over docker run
                    String id = "coldstart." + driver + "." + runtime + "." + mib + "mib.";
                    ratios.add(SameRunRatio.of(id + "hit-over-new-pod", hit.totalMs(), miss.totalMs(), false));
                    run.ifPresent(r -> ratios.add(SameRunRatio.of(id + "new-pod-over-docker-run", miss.totalMs(),
                            r.totalMs(), false)));
                    System.out.println(table);
                }
            }
        }
        if (fetchedCases) {
            fetchedFromAPeer(config, tmp, runtimes, sizes, starts, table, verdicts, fetchedFigures);
            System.out.println(table);
        }
        String body = "Measured " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors() + " cores, JDK "
                + System.getProperty("java.runtime.version") + ", the node in-process with the `" + driver + "` driver."
                + Machine.loadSentence(load0) + "\n\n"
                + "Command: `distribution/bench-coldstart.sh` (options: `-Dnest.bench.driver=docker`, "
                + "`-Dnest.bench.starts=N`, `-Dnest.bench.fetched=false`, `-Dnest.bench.sizes-mib=1,50`, "
                + "`-Dnest.bench.runtimes=nodejs,java`, containerd: `-Dnest.bench.prepared=N` for prepared containers; "
                + "about 3 minutes per runtime and size with 20 starts on 2 cores). Each start is a new function created, invoked"
                + " once from a client on the same machine and deleted; end to end is the client's send to the response; phases are the invocation"
                + " record's (`pool`: taking a pool pod; `pod`: creating a pod until its host is healthy; `load`: `/load`"
                + " of the unpacked code; `init`: the function's own initialisation; `queue`: the rest of the wait). In the"
                + " pool and new-pod rows the code is already on the node, so there are no fetch/decompress/unpack phases."
                + " In the \"code fetched from a peer\" rows it is not: a second node in the same process (its own data"
                + " directory, both on one ZooKeeper server, `cluster.artifact-replicas: 1`) takes each start's upload (a new"
                + " package each time: the same files plus a unique one), and the measured node fetches it over loopback"
                + " HTTP during the cold start (`fetch`: download and keeping the chunks; `decompress`: chunk sha256 check and"
                + " decompression; `unpack`: writing and hashing the files, the content digest check and the commit; the"
                + " three run pipelined chunk by chunk, so they overlap). Node.js only: a fetched Java package lacks the"
                + " classes its uploading node compiled, so it cannot be loaded yet. The `docker run`"
                + " baseline starts the runtime image with the same unpacked code mounted read-only, waits for its"
                + " `/health`, loads the function and sends the first invocation, all from the client; with the `containerd` driver"
                + " the same is measured with `ctr run` against the containerd (socket and namespace) the driver uses"
                + " (host network, the code bind-mounted read-only, the memory limit).\n\n"
                + table + "\n" + String.join("; ", verdicts) + ".\n\n" + WHERE_THE_TIME_GOES
                + BenchBlock.tail(ratios, rows(driver, cases));
        System.out.println(heading(driver) + "\n\n" + body);
        String results = System.getenv("NEST_BENCH_RESULTS");
        if (others && results != null && !results.isBlank()) {
            Files.writeString(Path.of(results), heading(driver) + "\n\n" + body);
        }
        if (!others) {
            // the fetched starts alone: their own section, so the full run's figures stay as they were measured
            body = "Measured " + Instant.now() + " on " + Runtime.getRuntime().availableProcessors() + " cores, JDK "
                    + System.getProperty("java.runtime.version") + ", two nodes in-process with the `" + driver + "` driver."
                    + Machine.loadSentence(load0) + "\n\n"
                    + "Command: `distribution/bench-coldstart.sh -Dnest.bench.fetched=only` (a full run puts these rows in"
                    + " the section of its driver instead). Each start is a new function whose code is not on the measured"
                    + " node: a second node in the same process (its own data directory, both on one ZooKeeper server,"
                    + " `cluster.artifact-replicas: 1`) takes each start's upload (a new package each time: the same files"
                    + " plus a unique one), and the measured node fetches it over loopback HTTP during the cold start, on a"
                    + " warm-pool pod. Phases are the invocation record's: `fetch` (downloading the manifest and chunks and"
                    + " keeping the chunks), `decompress` (each chunk's sha256 check and decompression), `unpack` (writing"
                    + " and hashing the files, the content digest check, the commit); the three run pipelined chunk by"
                    + " chunk, each is the time during which at least one chunk was in it, so they overlap. The 50 MiB"
                    + " package is one incompressible file (split across 13 chunks), the 1 MiB one fits in one chunk."
                    + " Node.js only: a fetched Java package lacks the classes its uploading node compiled, so it cannot"
                    + " be loaded yet.\n\n" + table + "\n" + String.join("; ", verdicts) + ".\n"
                    + BenchBlock.tail(List.of(), fetchedRows(driver, fetchedFigures));
            System.out.println(fetchedHeading(driver) + "\n\n" + body);
        }
        if (!"false".equals(System.getenv("NEST_BENCH_DOCS"))) {
            BenchmarksDoc.writeSection(Path.of("docs", "BENCHMARKS.md"), others ? heading(driver) : fetchedHeading(driver), body);
        }
    }

    /** The section of a run of the fetched starts alone. */
    static String fetchedHeading(String driver) {
        return "## Cold start: code fetched from a peer (" + driver + " driver)";
    }

    /**
     * The cold starts whose code is not on the node: a peer node in this process takes the uploads, the measured
     * node fetches each package during its cold start (a pool pod, so that the fetch is the larger part).
     */
    private static void fetchedFromAPeer(NestConfig single, Path tmp, List<String> runtimes, List<Integer> sizes, int starts,
                                         StringBuilder table, List<String> verdicts,
                                         Map<Integer, FetchedFigures> figures) throws Exception {
        try (org.apache.curator.test.TestingServer zk = new org.apache.curator.test.TestingServer(true)) {
            NestConfig.Cluster c = single.cluster();
            NestConfig.Sidecar s = single.sidecar();
            List<NestServer> servers = new ArrayList<>();
            try {
                for (String id : List.of("peer", "node")) {
                    int from = id.equals("peer") ? 35_000 : 36_000;
                    servers.add(NestServer.start(single.withNode(new NestConfig.Node(id, "127.0.0.1", "zone-a", "bench-fetch"))
                            .withCluster(new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(10),
                                    c.connectionTimeout(), c.operationTimeout(), 1).withSecret(CLUSTER_SECRET))
                            .withSidecar(new NestConfig.Sidecar(s.driver(), from, from + 999, s.startTimeout(), s.maxPods(),
                                    s.stopGrace(), s.drivers(), s.pool(), s.previousVersionKeepAlive()))
                            .withDataDir(tmp.resolve(id + "-data"))));
                }
                BenchAuth.started(servers.get(0)); // the first node started the region and wrote its admin token
                ColdStartBenchmark peer = new ColdStartBenchmark("http://127.0.0.1:" + servers.get(0).port(), tmp.resolve("peer-data"));
                ColdStartBenchmark node = new ColdStartBenchmark("http://127.0.0.1:" + servers.get(1).port(), tmp.resolve("node-data"));
                for (String runtime : runtimes) {
                    if (!runtime.equals("nodejs")) {
                        // a peer serves a Java package as uploaded: its compiled classes are made on the uploading
                        // node only, so the fetching node cannot load it (the fetch itself is the same)
                        System.out.println("fetched from a peer: " + runtime + " left out (no compiled classes in fetched Java packages)");
                        continue;
                    }
                    node.resize(runtime, 1);
                    for (int mib : sizes) {
                        Path code = writePackageInto(tmp.resolve("pkg-fetched-" + runtime + "-" + mib), runtime, mib);
                        DigestSource fresh = i -> {
                            Files.writeString(code.resolve("start.txt"), runtime + " " + mib + " " + i + " " + System.nanoTime());
                            return peer.upload(code, runtime);
                        };
                        node.coldStarts(runtime, fresh, peer, 1, true, "fetch-warm-up");
                        Samples got = node.coldStarts(runtime, fresh, peer, starts, true, "fetched");
                        row(table, runtime, mib, "pool pod, code fetched from a peer", got, true);
                        figures.put(mib, FetchedFigures.of(got));
                        verdicts.add(String.format(Locale.ROOT, "%s %d MiB fetched from a peer: p50 %.1f ms end to end", runtime,
                                mib, got.p(50)));
                    }
                    node.resize(runtime, 0);
                }
            } finally {
                for (NestServer n : servers.reversed()) {
                    n.close();
                }
            }
        }
    }

    private static void row(StringBuilder t, String runtime, int mib, String after, Samples s, boolean phases) {
        t.append(String.format(Locale.ROOT, "| %s | %d MiB | %s | %d | %.1f ms | %.1f ms | %s | %s |%n", runtime, mib, after,
                s.totalMs().size(), s.p(50), s.p(99),
                s.serverMs().isEmpty() ? "" : String.format(Locale.ROOT, "%.1f ms", Stats.median(s.serverMs())),
                phases ? s.phaseMedians() : "end to end only"));
    }

    /** A function package of about {@code mib} MiB: the handler and an incompressible filler file. */
    private Path writePackage(Path tmp, String runtime, int mib) throws IOException {
        return writePackageInto(tmp.resolve("pkg-" + runtime + "-" + mib), runtime, mib);
    }

    /** {@link #writePackage(Path, String, int)} into {@code dir}. */
    private static Path writePackageInto(Path target, String runtime, int mib) throws IOException {
        Path dir = Files.createDirectories(target);
        if (runtime.equals("java")) {
            Files.writeString(dir.resolve("Handler.java"), """
                    import dev.nest.fn.Context;
                    import java.util.Map;

                    public class Handler {
                        public Map<String, Object> handle(Map<String, Object> event, Context context) {
                            return Map.of("ok", true);
                        }
                    }
                    """);
        } else {
            Files.writeString(dir.resolve("index.js"), "exports.handler = async () => ({ ok: true });\n");
        }
        byte[] filler = new byte[mib * 1024 * 1024 - 4096];
        new Random(mib).nextBytes(filler);
        Files.write(dir.resolve("assets.bin"), filler);
        return dir;
    }

    private String upload(Path dir, String runtime) throws Exception {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        PackageWriter.zip(dir, zip);
        return send(BenchAuth.request(URI.create(base + "/api/v1/artifacts?runtime=" + runtime))
                .header("Content-Type", "application/zip").POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray())), 201)
                .path("digest").asText();
    }

    private void resize(String runtime, int size) throws Exception {
        send(BenchAuth.request(URI.create(base + "/api/v1/pools/" + runtime)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(Map.of("size", size)))), 200);
        waitForPool(runtime, p -> p.path("ready").asInt() == size && p.path("starting").asInt() == 0);
    }

    private void waitForPool(String runtime, java.util.function.Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            for (JsonNode p : send(BenchAuth.request(URI.create(base + "/api/v1/pools")).GET(), 200)) {
                if (p.path("runtime").asText().equals(runtime)) {
                    if (done.test(p)) {
                        return;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the " + runtime + " pool did not settle: " + p);
                    }
                }
            }
            Thread.sleep(5);
        }
    }

    private Samples coldStarts(String runtime, String digest, int n, boolean poolHit, String tag) throws Exception {
        return coldStarts(runtime, i -> digest, this, n, poolHit, tag);
    }

    /**
     * {@code n} cold starts on this node of new functions of the code {@code digestOf} gives for each start; the
     * functions are created and deleted through {@code via} (another node: a peer holds the code and this node
     * fetches it; the request then carries {@code X-Nest-Forwarded-By}, so this node serves it itself).
     */
    private Samples coldStarts(String runtime, DigestSource digestOf, ColdStartBenchmark via, int n, boolean poolHit,
                               String tag) throws Exception {
        Samples out = new Samples();
        boolean fetched = via != this;
        for (int i = 0; i < n; i++) {
            String digest = digestOf.digest(i);
            String name = "cs-" + runtime + "-" + tag + "-" + i + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
            send(BenchAuth.request(URI.create(via.base + "/api/v1/functions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(Map.of("digest", digest, "spec",
                            Map.of("name", name, "runtime", runtime, "deploy", "dedicated", "timeout", "30s"))))), 201);
            if (fetched) {
                waitForFunction(name);
            }
            if (poolHit) {
                waitForPool(runtime, p -> p.path("ready").asInt() >= 1);
            }
            Thread.sleep(20); // let the node settle after the deploy (its catalog watch and reconcile pass)
            HttpRequest.Builder first = BenchAuth.request(URI.create(base + "/fn/" + name)).GET();
            if (fetched) {
                BenchAuth.forwarded(first, CLUSTER_SECRET);
            }
            long t0 = System.nanoTime();
            HttpResponse<byte[]> r = http.send(first.build(), HttpResponse.BodyHandlers.ofByteArray());
            double ms = (System.nanoTime() - t0) / 1e6;
            if (r.statusCode() != 200 || r.headers().firstValue("x-nest-cold").isEmpty()) {
                throw new IllegalStateException("the first request of " + name + " was not a successful cold start: HTTP "
                        + r.statusCode() + " " + new String(r.body()));
            }
            String id = r.headers().firstValue("x-nest-invocation-id").orElseThrow();
            Map<String, Double> phases = new LinkedHashMap<>();
            JsonNode inv = invocation(id);
            inv.path("phases").fields().forEachRemaining(e -> phases.put(e.getKey(), e.getValue().asDouble()));
            if (phases.containsKey("pool") != poolHit) {
                throw new IllegalStateException("start " + i + " of " + runtime + " expected pool hit " + poolHit + ": " + phases);
            }
            if (phases.containsKey("fetch") != fetched) {
                throw new IllegalStateException("start " + i + " of " + runtime + " expected a fetch " + fetched + ": " + phases);
            }
            out.totalMs().add(ms);
            out.serverMs().add(inv.path("durationMs").asDouble());
            out.phases().add(phases);
            send(BenchAuth.request(URI.create(via.base + "/api/v1/functions/" + name)).DELETE(), 200);
            waitUntilNoInstances();
        }
        return out;
    }

    /** The code of start {@code i}. */
    @FunctionalInterface
    private interface DigestSource {
        String digest(int i) throws Exception;
    }

    /** Waits until this node's catalog has function {@code name} (created through a peer). */
    private void waitForFunction(String name) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (http.send(BenchAuth.request(URI.create(base + "/api/v1/functions/" + name)).GET().build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("function " + name + " did not reach " + base + " within 30 s");
            }
            Thread.sleep(5);
        }
    }

    /** Each start is measured on an otherwise idle node: the previous function's pod is gone. */
    private void waitUntilNoInstances() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!send(BenchAuth.request(URI.create(base + "/api/v1/instances")).GET(), 200).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("instances of deleted functions are still running after 30 s");
            }
            Thread.sleep(5);
        }
    }

    private JsonNode invocation(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            HttpResponse<byte[]> r = http.send(BenchAuth.request(URI.create(base + "/api/v1/invocations/" + id)).GET()
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() == 200) {
                return Json.tree(r.body(), "invocation").path("invocation");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("invocation " + id + " was not recorded: HTTP " + r.statusCode());
            }
            Thread.sleep(5); // the store writes records in batches
        }
    }

    // ---- the docker run baseline -------------------------------------------------------------------------

    private static boolean dockerAnswers() {
        try {
            Process p = new ProcessBuilder("docker", "info", "--format", "{{.ServerVersion}}").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** containerd's socket and namespace for the {@code ctr run} baseline (those Nest's containerd driver uses). */
    static final String CTR_ADDRESS = System.getProperty("nest.bench.ctr-address", "/run/nest/containerd/containerd.sock");
    static final String CTR_NAMESPACE = System.getProperty("nest.bench.ctr-namespace", "nest");

    private static boolean ctrAnswers() {
        try {
            Process p = new ProcessBuilder("ctr", "-a", CTR_ADDRESS, "-n", CTR_NAMESPACE, "images", "ls", "-q")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            return p.waitFor() == 0 && out.contains("nest/runtime-");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Samples dockerRuns(String runtime, String digest, int n) throws Exception {
        return engineRuns("docker", runtime, digest, n);
    }

    /**
     * The baseline of one engine's own CLI: {@code docker run}, or {@code ctr run} against the containerd (socket and
     * namespace) that Nest's containerd driver uses, with the same image, code mount, host network and memory limit;
     * to the first response of the function.
     */
    private Samples engineRuns(String engine, String runtime, String digest, int n) throws Exception {
        Path codeDir = unpackedDir(digest);
        String image = (engine.equals("ctr") ? "docker.io/" : "") + "nest/runtime-" + runtime + ":latest";
        int memory = runtime.equals("java") ? 256 : 128;
        Samples out = new Samples();
        for (int i = 0; i < n; i++) {
            int port = Fixtures.freePort();
            byte[] key = new byte[16];
            new java.security.SecureRandom().nextBytes(key);
            String secret = HexFormat.of().formatHex(key);
            String name = "nest-bench-coldstart-" + port;
            long t0 = System.nanoTime();
            List<String> argv = engine.equals("ctr")
                    ? List.of("ctr", "-a", CTR_ADDRESS, "-n", CTR_NAMESPACE, "run", "-d", "--net-host",
                    "--memory-limit", String.valueOf(memory * 1024L * 1024L), "--label", "dev.nest.bench=coldstart",
                    "--mount", "type=bind,src=" + codeDir + ",dst=/nest/code,options=rbind:ro",
                    "--mount", "type=tmpfs,src=tmpfs,dst=/tmp,options=rw:nosuid:nodev:size=64m",
                    "--env", "NEST_HOST_PORT=" + port, "--env", "NEST_HOST_ADDRESS=127.0.0.1",
                    "--env", "NEST_HOST_SECRET=" + secret, "--env", "NEST_POD_ID=" + name, image, name)
                    : List.of("docker", "run", "-d", "--rm", "--name", name, "--network", "host",
                    "--read-only", "--tmpfs", "/tmp:rw,nosuid,nodev,size=64m", "--cap-drop", "ALL",
                    "--security-opt", "no-new-privileges", "--memory", memory + "m", "--init",
                    "--label", "dev.nest.bench=coldstart",
                    "-v", codeDir + ":/nest/code:ro", "-e", "NEST_HOST_PORT=" + port, "-e", "NEST_HOST_ADDRESS=127.0.0.1",
                    "-e", "NEST_HOST_SECRET=" + secret, "-e", "NEST_POD_ID=" + name, image);
            Process run = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String runOut = new String(run.getInputStream().readAllBytes());
            if (run.waitFor() != 0) {
                removeContainer(engine, name);
                throw new IllegalStateException(engine + " run " + image + " failed: " + runOut);
            }
            try {
                String host = "http://127.0.0.1:" + port;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (true) {
                    try {
                        HttpResponse<byte[]> h = http.send(BenchAuth.request(URI.create(host + "/health"))
                                .header("X-Nest-Secret", secret).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                        if (h.statusCode() == 200 && Json.tree(h.body(), "health").path("ready").asBoolean()) {
                            break;
                        }
                    } catch (IOException notYet) {
                        // not listening yet
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the " + image + " container did not become healthy");
                    }
                    Thread.sleep(1);
                }
                Map<String, Object> load = Map.of("id", "s-1", "function", "default/baseline", "version", "1",
                        "codeDir", "/nest/code", "handler", runtime.equals("java") ? "Handler" : "index.handler",
                        "env", Map.of(), "limits", Map.of("memoryMb", memory, "timeoutMs", 30000, "concurrency", 1));
                HttpResponse<byte[]> l = http.send(BenchAuth.request(URI.create(host + "/load"))
                        .header("X-Nest-Secret", secret).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(load))).build(), HttpResponse.BodyHandlers.ofByteArray());
                if (l.statusCode() != 200) {
                    throw new IllegalStateException("/load in the " + image + " container: HTTP " + l.statusCode() + " "
                            + new String(l.body()));
                }
                HttpResponse<byte[]> inv = http.send(BenchAuth.request(URI.create(host + "/invoke/s-1/"))
                        .header("X-Nest-Secret", secret).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                double ms = (System.nanoTime() - t0) / 1e6;
                if (inv.statusCode() != 200) {
                    throw new IllegalStateException("first invocation in the " + image + " container: HTTP " + inv.statusCode());
                }
                out.totalMs().add(ms);
                out.phases().add(Map.of());
            } finally {
                removeContainer(engine, name);
            }
        }
        return out;
    }

    /** Stops and removes the baseline's container (not timed). */
    private static void removeContainer(String engine, String name) throws Exception {
        if (engine.equals("ctr")) {
            for (List<String> step : List.of(List.of("task", "kill", "-s", "SIGKILL", name), List.of("task", "rm", "-f", name),
                    List.of("container", "rm", name))) {
                List<String> argv = new ArrayList<>(List.of("ctr", "-a", CTR_ADDRESS, "-n", CTR_NAMESPACE));
                argv.addAll(step);
                Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                p.waitFor();
                if (step.get(1).equals("kill")) {
                    Thread.sleep(100); // the task exits before it can be removed
                }
            }
        } else {
            new ProcessBuilder("docker", "rm", "-f", name).redirectErrorStream(true).start().waitFor();
        }
    }

    /** The node's unpacked directory of {@code digest} (Java packages hold the compiled classes there). */
    private Path unpackedDir(String digest) throws IOException {
        String hex = digest.substring(digest.indexOf(':') + 1);
        try (Stream<Path> s = Files.walk(dataDir.resolve("artifacts").resolve("code"), 2)) {
            return s.filter(Files::isDirectory).filter(p -> p.getFileName().toString().contains(hex)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no unpacked directory of " + digest + " under " + dataDir));
        }
    }

    private JsonNode send(HttpRequest.Builder b, int expected) throws Exception {
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != expected) {
            throw new IllegalStateException(b.build().method() + " " + b.build().uri() + ": HTTP " + r.statusCode() + " "
                    + new String(r.body()));
        }
        return r.body().length == 0 ? Json.mapper().createObjectNode() : Json.tree(r.body(), "response");
    }
}
