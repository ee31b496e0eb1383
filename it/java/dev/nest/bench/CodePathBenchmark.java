package dev.nest.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.nest.artifact.Artifact;
import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.ArtifactTuning;
import dev.nest.artifact.ChunkCodecs;
import dev.nest.artifact.ChunkManifest;
import dev.nest.artifact.Codec;
import dev.nest.artifact.FetchStages;
import dev.nest.artifact.PackageFormats;
import dev.nest.artifact.PackageLimits;
import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import dev.nest.it.Fixtures;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The code path alone (issues 4 and 19): a package of 200 MiB of realistic content (a node_modules-like tree of many
 * small JavaScript files plus larger binary-ish files, or a Java function's fat jars and assets, generated
 * deterministically) is served by a peer on loopback (a real Nest server in this process, its gateway and artifact
 * routes serving the chunk files and manifests of its {@link ArtifactStore}; row zstd-jdkpeer: a JDK HttpServer
 * streaming the same files), then fetched, decompressed, verified and unpacked by a fresh node-side store with
 * {@link ArtifactStore#fetch}, in several variants (trusted manifest or every file hashed, chunk cache after or before
 * the commit, platform or virtual writer threads, zstd or lz4), against two baselines in the same run: the floor,
 * {@code tar -xf} of an uncompressed local tar of the same content (file creation alone), and one gzip stream (the
 * JDK's {@link GZIPInputStream} over a tar-like stream fetched over HTTP, unpacked as it arrives, every file hashed
 * for the content digest). Methods are interleaved in each repetition; medians are reported, and the ratios are the
 * medians of each repetition's ratio, written as a {@link BenchBlock}.
 *
 * <p>Knobs (system properties or environment): {@code nest.bench.codepath.mib} / NEST_BENCH_CODEPATH_MIB (200),
 * {@code nest.bench.codepath.reps} / NEST_BENCH_CODEPATH_REPS (3), {@code nest.bench.codepath.chunk-mib} /
 * NEST_BENCH_CODEPATH_CHUNK_MIB (4), NEST_BENCH_DOCS (1: write the section of docs/BENCHMARKS.md when the run is
 * full-size, at least 3 repetitions).
 */
public final class CodePathBenchmark {
    static final String HEADING = "## Code path: fetch, decompress, verify, unpack";

    /**
     * Row 280's coverage line, written by the benchmark itself: guarded by the quick run's ratios ({@code --check} runs
     * the quick plan, not the 200 MiB one), or unguarded when this run has none.
     */
    static List<BenchBlock.Coverage> coverage280(List<BenchBlock.Ratio> ratios) {
        List<String> quick = ratios.stream().map(BenchBlock.Ratio::id).filter(id -> id.startsWith("codepath.quick."))
                .toList();
        return List.of(quick.isEmpty()
                ? new BenchBlock.Coverage(List.of(280), List.of(), "this run recorded no quick-run ratios for --check")
                : new BenchBlock.Coverage(List.of(280), quick, ""));
    }
    private static final int MIB = 1 << 20;

    private static int chunkBytes = ChunkManifest.DEFAULT_CHUNK_BYTES;
    private static long started;
    /** The size per profile of the quick run ({@code --quick}, what {@code distribution/bench.sh --check} runs). */
    static final int QUICK_MIB = 40;
    /** The methods of the quick run: the default path and its two baselines. */
    static final List<String> QUICK_METHODS = List.of("floor", "zstd", "gzip");
    static final List<String> ALL_METHODS = List.of("floor", "zstd", "zstd-full", "zstd-sync", "zstd-vthreads", "zstd-platform",
            "zstd-httpclient", "zstd-pfetch", "zstd-heap", "zstd-net8", "zstd-net2", "zstd-fresh", "zstd-jdkpeer", "zstd-adminhop", "uniform", "lz4", "stored", "gzip");

    /**
     * How each packing's peer packs the content (the part of a method's name before '-'): zstd, the shipped default
     * (what a node writes once every node of its cluster reads format 2: {@link #SHIPPED}); uniform: every chunk zstd
     * (format 1, what a node writes while an older node is live, or with {@code artifacts.package-format: 1}); lz4 for
     * every chunk; stored: zstd, incompressible chunks stored; auto: per-chunk codecs ({@link
     * ChunkCodecs.Policy#FAST_LARGE}, named explicitly).
     */
    record Packing(Codec codec, ChunkCodecs.Policy policy) {
    }

    /** The policy the shipped default writes for a package of zstd size in a cluster whose nodes all read format 2. */
    static final ChunkCodecs.Policy SHIPPED = PackageFormats.decide(PackageFormats.Setting.AUTO,
            List.of(new PackageFormats.Node("self", PackageFormats.advertised(PackageFormats.READS))), false).policy();

    static final Map<String, Packing> PACKINGS = Map.of("zstd", new Packing(Codec.ZSTD, SHIPPED),
            "uniform", new Packing(Codec.ZSTD, ChunkCodecs.Policy.UNIFORM),
            "lz4", new Packing(Codec.LZ4, ChunkCodecs.Policy.UNIFORM),
            "stored", new Packing(Codec.ZSTD, ChunkCodecs.Policy.STORE_INCOMPRESSIBLE),
            "auto", new Packing(Codec.ZSTD, ChunkCodecs.Policy.FAST_LARGE));

    private static String packingOf(String method) {
        return method.contains("-") ? method.substring(0, method.indexOf('-')) : method;
    }

    /** The designs tried so far, with their figures: the section's closing list. */
    static final String DESIGNS = """
            ### Designs tried

            Earlier rounds (2026-11-24, same 2-vCPU VM, the gzip ratio only): a chunk unpacked inside its decompression slot (1.03x to 1.26x gzip); writing decoupled from decompression, files created read-only, known directories cached, chunk bodies read into one array (1.37x, overstated); 1 MiB chunks (no gain); tmpfs (0.82x); each chunk's sha256 checked once; 2, 8 or 32 writers (no count wins consistently; the spread between repetitions was larger than the differences). The profile then: file opens and writes first, the HttpClient's stream, SHA-256 of chunks and files and the chunk-cache writes next, zstd last; every file's sha256 could not be dropped without a manifest the node can trust.

            This round (issue 19, target 3), on the same VM shared with six other builds (load average 13 to 35 during the runs; wall figures move by 2x between repetitions, so read the ratios of each repetition and the CPU column):

            1. Profile first (JFR `settings=profile`, `NEST_BENCH_CODEPATH_MIB=100 NEST_BENCH_CODEPATH_REPS=2 NEST_BENCH_JAVA_OPTS='-Xmx2g -XX:StartFlightRecording=...'`, samples of the fetch's threads only): CPU samples: the JDK HttpClient (selector and socket tube) 31%, SHA-256 21% (the untrusted variant's file hashes and every variant's chunk checks), chunk-cache writes 8%, file writes 5%; native samples (time in system calls): file writes 32%, file opens 22%, chunk-cache writes 17%, the HttpClient 6.5%, zstd 5.6%, mkdir 4%. File creation is most of the wall time, as the issue says; on this machine the HttpClient is the largest CPU cost of the fetch.
            2. A trusted manifest (ADR 0027): the manifest's sha256 recorded in ZooKeeper by the node that verified the package; a matching manifest means chunks are checked and no file is hashed. Row zstd against zstd-full in the tables above; in the 100 MiB profiled run, 4.01 / 6.06 s against 5.18 / 6.54 s (many small files), 4.15 / 3.51 s against 3.26 / 2.69 s (large files): a gain on many small files, none visible under that load on large files.
            3. The chunk cache written after the commit on a background thread, bounded (256 MiB held at most, beyond that written by the fetching thread): row zstd against zstd-sync; 100 MiB run: 4.01 / 6.06 s against 5.93 / 7.17 s (many small files), 4.15 / 3.51 s against 4.42 / 5.20 s (large files). Its write then takes 0.3 to 3.6 s after the fetch returns (printed per run), which the fetch no longer waits for.
            4. Files written on platform threads instead of the fetch's virtual threads (file I/O pins the carrier and the scheduler compensates): row zstd against zstd-vthreads; 100 MiB run: 4.01 / 6.06 s against 6.82 / 6.34 s, and 4.15 / 3.51 s against 2.89 / 5.57 s: not separable from the noise here; kept as the default because it removes a cost per system call that the profile of a quiet machine should confirm.
            5. Hashing split files as their parts arrive (lever c): not built; with a trusted manifest no file is hashed at all, and the untrusted path is now the fallback only.
            6. One sync of the directory before the rename: not built; the durability contract (ADR 0027) is that unpacked code is a cache of what `cluster.artifact-replicas` nodes hold as chunks, committed by an atomic rename without fsync.
            7. Chunks read with `HttpURLConnection` (blocking reads straight into the body's array, the JDK's keep-alive cache) instead of the asynchronous HttpClient, the largest CPU cost in the profile: row zstd-urlconn then, zstd-httpclient since `HttpURLConnection` became the default (`ArtifactTuning.blockingHttp`, item 12); figures in 8.
            8. The 200 MiB run of the tables above (load average 37 at its start, 21 at its end), medians of 3: trusted 4.12 s against every file hashed 4.81 s (many small files) and 3.89 s against 3.72 s (large files); chunk cache after the commit 4.12 s against before it 4.76 s and 3.89 s against 2.88 s; platform writers 4.12 s against virtual-thread writers 5.06 s and 3.89 s against 1.86 s; HttpClient 4.12 s against HttpURLConnection 5.09 s and 3.89 s against 2.69 s (HttpURLConnection took the least CPU on large files, 1.02 s against 2.07 s). A quick run (`NEST_BENCH_CODEPATH_MIB=60 NEST_BENCH_CODEPATH_REPS=2 NEST_BENCH_DOCS=0`, load average about 19): many small files floor 0.41 / 0.35 s, default 0.67 / 0.71 s, gzip 0.41 / 0.44 s; large files floor 0.13 / 0.14 s, default 0.47 / 0.42 s, every file hashed 0.61 / 0.63 s, gzip 0.38 / 0.42 s. Each variant wins some repetitions and loses others: over the six comparisons (two profiles, three runs) the background chunk cache is faster in five, the trusted manifest in three, platform writers in three, and none brings the chunked path near gzip here: gzip and tar run one thread each, which this shared VM schedules better than the chunked path's dozen.
            9. Not tried yet: fewer, larger chunks for the large-files profile, and a profile on a quiet machine to choose between the writer threads and the HTTP clients.
            10. Writers by chunk shape (2026-12-06, ADR 0027 addendum): a chunk of at most `ArtifactTuning.directMaxFiles` (4) records, a large file's part, is written by its fetching thread; a chunk of many files goes to the platform writers (row zstd-platform: every chunk to them, the previous default). At 40 MiB, 3 repetitions, load average 24 to 31: many small files 0.59 / 0.88 / 2.19 s against 1.05 / 0.72 / 0.95 s (platform) and 2.01 / 0.75 / 1.40 s (virtual threads); large files 1.34 / 1.21 / 0.86 s against 1.47 / 0.76 / 0.93 s and 0.75 / 1.36 / 0.89 s: not separable at that load. Not built: pooled direct buffers for the decompressed chunk (saves one copy into the JDK's temporary direct buffer per write), `fallocate` (no Java API), `transferFrom` (the bytes are already in memory).
            11. The 200 MiB run of 2026-12-06T23:54Z (load average 4 to 10): large files default 1.65 s, platform writers 1.05 s, virtual threads 1.16 s, HttpURLConnection 0.84 s (faster than gzip's 1.01 s in every repetition, at half the default's CPU); many small files default 2.03 s, HttpURLConnection 2.16 s. The HTTP client is the lever that separates on large files; reading chunks with HttpURLConnection by default (or for packages of large files) is the next step (ADR 0027 addendum).

            12. Where the default's CPU went (2026-12-07, ADR 0027 addendum "where the default's extra CPU on large files went"): the 03:21Z run's large-files default median of 1.77 s of CPU against 0.89 s for the writer variants came from one repetition whose first slots were slow, in a fixed method order that always ran the default right after the floor; each repetition now starts at the next method. JFR `jdk.CPUTimeSample` of the default on large files: chunk-cache writes 16% (`Files.write` writes in 8 KiB pieces: 512 calls per 4 MiB chunk; now 1 MiB per call), zstd 13%, SHA-256 of the chunks 14%, socket reads 10%, the unpack's writes 9%, the in-process peer 12%, GC under 1%. Rotated runs (load 17 to 37): CPU until the fetch returned 0.80 / 0.82 / 0.86 s (default, virtual-thread writers, platform writers; large files) and 1.58 / 1.57 / 1.95 s (many small files); chunks fetched on platform threads (row zstd-pfetch): not separable on large files, slower on many small files.

            13. A codec per chunk, direct buffers (2026-12-07, ADR 0027 addendum "a codec per chunk, direct buffers"): a manifest may name a codec per chunk (format nest-chunks/2; older manifests read as before); per-chunk policies pack a large file's parts with lz4 and store chunks zstd shrinks by less than 1/32 (rows auto, stored; not the default: not separable from zstd on this VM); chunks are decompressed into direct buffers reused within the fetch, so a write needs no copy into the JDK's temporary direct buffer (row zstd-heap: the previous heap arrays). Measured alone on this VM: SHA-256 1.4 to 1.6 GB/s of CPU (SHA-NI), zstd 0.45 to 0.8 GB/s and lz4 1.7 to 3 GB/s on the text assets, a stored or raw-block chunk at memory speed.

            14. The peer is a real node (2026-12-07, ADR 0027 addendum "the benchmark's peer is a real node"): until then the chunked rows fetched from a JDK HttpServer streaming chunk files, while a real node's chunks pass through its gateway (which holds the admin server's whole answer before it answers) and its artifact route (which read each chunk into a new array, then Helidon copied it into its response buffer). With a real node (100 MiB, large files, load average 9 to 14) the fetch took 1.61x the CPU it took from the JDK peer (row zstd-jdkpeer, median of per-repetition ratios); JFR CPU samples: the gateway's hop as large as the fetching client's socket reads and chunk hashes together. The route now streams the chunk file in 256 KiB slices under its length: CPU until the fetch returned, median 0.89 s (nine repetitions) against 1.13 s (six; ratio to the control 1.30 against 1.46; in the quietest run a real node took the default from 3.23x to 5.06x the floor); many small files not slower (0.97 against 1.09). Two or eight chunk downloads at once (rows zstd-net2, zstd-net8): not separable; the default stays 4.

            15. The gateway serves peers' chunk fetches from the chunk files (2026-12-07, ADR 0027 addendum "the gateway serves peers' chunk fetches from the chunk files"): a request with the cluster's peer credential, and only that, is answered on the gateway's loop with sendfile (direct-buffer slices under TLS) instead of passing through the admin server and being held whole; the benchmark's fetch sends the peer credential as a node does, and row zstd-adminhop keeps the previous serving (an admin token). Large files, 100 MiB, three runs of three repetitions: CPU until the fetch returned, median 0.40 s against 0.57 s from the JDK peer and 0.75 s through the hop (per-repetition ratio to the hop 0.46 to 0.74); wall over the floor median 2.28x against 4.53x through the hop. Many small files 0.67 s against 0.81 s.

            16. Chunk bodies received into the arrays of earlier fetches (ADR 0027 addendum "received chunk bodies reuse the heap of earlier fetches"): a perf profile of the large-files fetch put 30% of the samples in allocating the received bodies (a fetch holds its whole compressed package until the chunk cache writes it; G1 had given the regions back since the last fetch, so every page was faulted in and zeroed again); `-Xms2g` alone halved the fetch's CPU (median 0.615 s against 1.12 s). `ChunkBodies` keeps the arrays once the chunk cache wrote them (soft references, at most 256 MiB) and the next fetch receives bodies of the same length into them: large files, 200 MiB, three alternated rounds at load average 9 to 12, CPU until the fetch returned median 0.575 s against 1.205 s (row zstd-fresh: every body new), wall over the floor 1.68x against 3.58x. Keeping the decompression buffers as well: not cheaper (0.63 s against 0.56 s), reverted.

            The targets are missed on this machine: with two cores shared by seven builds, the chunked path's threads wait for a core while the single-threaded baselines (tar, gzip) do not, so ratios here are not the ratios of a quiet node. The lead re-measures on a quiet machine.
            """;

    private CodePathBenchmark() {
    }

    private static String knob(String prop, String env, String dflt) {
        return Optional.ofNullable(System.getProperty(prop)).or(() -> Optional.ofNullable(System.getenv(env)))
                .filter(s -> !s.isBlank()).orElse(dflt);
    }

    /** What one invocation runs: the size, repetitions, methods and profiles, and whether it is the quick run. */
    record Plan(int mib, int reps, List<String> methods, List<String> profiles, boolean quick) {
        String ratioPrefix() {
            return quick ? "codepath.quick." : "codepath.";
        }
    }

    public static void main(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--quick");
        if (args.length > (quick ? 1 : 0)) {
            System.err.println("usage: CodePathBenchmark [--quick]");
            System.exit(2);
        }
        Plan plan = quick ? quickPlan() : new Plan(Integer.parseInt(knob("nest.bench.codepath.mib", "NEST_BENCH_CODEPATH_MIB", "200")),
                Integer.parseInt(knob("nest.bench.codepath.reps", "NEST_BENCH_CODEPATH_REPS", "3")),
                List.of(knob("nest.bench.codepath.methods", "NEST_BENCH_CODEPATH_METHODS", String.join(",", ALL_METHODS)).split(",")),
                List.of(knob("nest.bench.codepath.profiles", "NEST_BENCH_CODEPATH_PROFILES", "many-small,large-files").split(",")),
                false);
        for (String m : plan.methods()) {
            if (!ALL_METHODS.contains(m)) {
                throw new IllegalArgumentException("NEST_BENCH_CODEPATH_METHODS: '" + m + "' is not a method; allowed: " + ALL_METHODS);
            }
        }
        boolean docs = !quick && knob("nest.bench.docs", "NEST_BENCH_DOCS", "1").equals("1");
        chunkBytes = (int) (Double.parseDouble(knob("nest.bench.codepath.chunk-mib", "NEST_BENCH_CODEPATH_CHUNK_MIB", "4")) * MIB);
        Path root = Path.of(knob("nest.home", "NEST_HOME", ".")).toAbsolutePath().normalize();
        String loadStart = Machine.loadAverage();
        started = System.nanoTime();
        boolean full = plan.mib() == 200 && plan.reps() >= 3 && chunkBytes == ChunkManifest.DEFAULT_CHUNK_BYTES
                && plan.methods().equals(ALL_METHODS) && plan.profiles().size() == 2;
        List<BenchBlock.Ratio> quickRatios = new ArrayList<>();
        if (docs && full) {
            // the section records the quick run's ratios too: they are the floors `bench.sh --check` compares with
            quickRatios.addAll(inTemp(root, quickPlan(), false, loadStart, List.of()));
        }
        inTemp(root, plan, docs && full, loadStart, quickRatios);
    }

    private static Plan quickPlan() {
        return new Plan(Integer.parseInt(knob("nest.bench.codepath.quick-mib", "NEST_BENCH_CODEPATH_QUICK_MIB", String.valueOf(QUICK_MIB))),
                Integer.parseInt(knob("nest.bench.codepath.reps", "NEST_BENCH_CODEPATH_REPS", "5")), QUICK_METHODS,
                List.of("many-small", "large-files"), true);
    }

    private static List<BenchBlock.Ratio> inTemp(Path root, Plan plan, boolean docs, String loadStart,
                                                 List<BenchBlock.Ratio> quickRatios) throws Exception {
        Path tmp = Files.createTempDirectory("nest-codepath-");
        try {
            return run(root, tmp, plan, docs, loadStart, quickRatios);
        } finally {
            // rm -rf: several hundred thousand files, faster than a walk from Java
            if (new ProcessBuilder("rm", "-rf", tmp.toString()).inheritIO().start().waitFor() != 0) {
                deleteTree(tmp);
            }
        }
    }

    /** One content profile: its files, and its package as each method's peer serves it. */
    record Profile(String id, String title, Generated g, String digest, Map<String, Long> wire) {
    }

    private static List<BenchBlock.Ratio> run(Path root, Path tmp, Plan plan, boolean docs, String loadStart,
                                              List<BenchBlock.Ratio> quickRatios) throws Exception {
        int mib = plan.mib();
        int reps = plan.reps();
        PackageLimits limits = new PackageLimits(4L << 30, 1_000_000);
        Consumer<Path> none = p -> { };
        Map<String, ArtifactStore> peers = new LinkedHashMap<>();
        Map<String, ArtifactStore> stores = new LinkedHashMap<>();
        Map<String, Path> tarballs = new LinkedHashMap<>();
        Map<String, Path> tars = new LinkedHashMap<>();
        List<Profile> profiles = new ArrayList<>();
        for (String id : plan.profiles()) {
            Path content = tmp.resolve("content-" + id);
            long t = System.nanoTime();
            Generated g = id.equals("many-small") ? generate(content, (long) mib * MIB) : generateLargeFiles(content, (long) mib * MIB);
            System.out.printf("%s: generated %d files, %.1f MiB (%s) in %.1f s%n", id, g.files(), g.bytes() / (double) MIB,
                    g.description(), (System.nanoTime() - t) / 1e9);
            Map<String, Long> wire = new LinkedHashMap<>();
            String digest = null;
            for (var pk : PACKINGS.entrySet()) {
                if (plan.methods().stream().noneMatch(m -> packingOf(m).equals(pk.getKey()))) {
                    continue;
                }
                t = System.nanoTime();
                // one real node per packing holds both profiles' packages (a store holds one manifest per content)
                ArtifactStore s = stores.computeIfAbsent(pk.getKey(), k -> new ArtifactStore(peerData(tmp, k).resolve("artifacts"),
                        limits, Long.MAX_VALUE, java.util.Set::of));
                Artifact a = s.ingestChunked(content, pk.getValue().codec(), pk.getValue().policy(), chunkBytes, none);
                ChunkManifest m = ChunkManifest.parse(s.manifest(a.digest()).orElseThrow());
                peers.put(id + "-" + pk.getKey(), s);
                wire.put(pk.getKey(), m.compressedBytes());
                digest = a.digest();
                Map<Codec, Long> byCodec = new TreeMap<>();
                m.chunks().forEach(c -> byCodec.merge(m.codecOf(c), 1L, Long::sum));
                System.out.printf("%s: peer %s: %d chunks %s, %.1f MiB compressed (ratio %.2f), packed in %.1f s%n", id, pk.getKey(),
                        m.chunks().size(), byCodec, m.compressedBytes() / (double) MIB, g.bytes() / (double) m.compressedBytes(),
                        (System.nanoTime() - t) / 1e9);
            }
            Path gz = tmp.resolve(id + ".tar.gz");
            t = System.nanoTime();
            writeTarGz(content, gz);
            tarballs.put(id, gz);
            wire.put("gzip", Files.size(gz));
            System.out.printf("%s: peer gzip: one stream, %.1f MiB (ratio %.2f), written in %.1f s%n", id,
                    Files.size(gz) / (double) MIB, g.bytes() / (double) Files.size(gz), (System.nanoTime() - t) / 1e9);
            Path tar = tmp.resolve(id + ".tar");
            Machine.output(List.of("tar", "-cf", tar.toString(), "-C", content.toString(), "."));
            if (!Files.exists(tar)) {
                throw new IllegalStateException("cannot write the floor's tar with `tar -cf` (is GNU tar installed?)");
            }
            tars.put(id, tar);
            System.out.printf("%s: floor: an uncompressed tar of %.1f MiB%n", id, Files.size(tar) / (double) MIB);
            profiles.add(new Profile(id, id.equals("many-small") ? "Many small files (node_modules-like)"
                    : "Large files (a Java function: fat jars and assets)", g, digest, wire));
        }

        primitives();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        for (var e : peers.entrySet()) {
            ArtifactStore s = e.getValue();
            server.createContext("/" + e.getKey() + "/api/v1/artifacts/", ex -> {
                String p = ex.getRequestURI().getPath();
                String last = p.substring(p.lastIndexOf('/') + 1);
                if (p.contains("/chunks/")) {
                    sendFile(ex, s.chunk(last));
                } else {
                    byte[] m = s.manifest(last).orElse(null);
                    if (m == null) {
                        ex.sendResponseHeaders(404, -1);
                    } else {
                        ex.sendResponseHeaders(200, m.length);
                        ex.getResponseBody().write(m);
                    }
                    ex.close();
                }
            });
        }
        tarballs.forEach((id, gz) -> server.createContext("/" + id + "-gzip/package.tar.gz", ex -> sendFile(ex, Optional.of(gz))));
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        // the chunked rows fetch from a real node: an in-process Nest server (its gateway, which serves chunks to the
        // peer credential from their files and forwards the rest of /api to the admin server) whose data directory
        // holds the packing's packages; the
        // benchmark's JDK HttpServer serves the gzip stream and row zstd-jdkpeer (chunk files streamed from disk)
        Map<String, NestServer> nodes = new LinkedHashMap<>();
        Map<String, Supplier<Map<String, String>>> credentials = new LinkedHashMap<>();
        Map<String, Supplier<Map<String, String>>> tokens = new LinkedHashMap<>(); // row zstd-adminhop
        for (String k : stores.keySet()) {
            long t = System.nanoTime();
            Path data = peerData(tmp, k);
            NestConfig d = NestConfig.defaults();
            NestConfig.Sidecar sc = d.sidecar();
            NestServer n = Fixtures.startNode(d.withSidecar(new NestConfig.Sidecar(sc.driver(), sc.portFrom(), sc.portTo(),
                            sc.startTimeout(), sc.maxPods(), sc.stopGrace(), sc.drivers(), new NestConfig.Pool(Map.of("nodejs", 0, "java", 0),
                            sc.pool().idle()), sc.previousVersionKeepAlive())),
                    data, Files.createDirectories(data.resolveSibling("functions")));
            nodes.put(k, n);
            // what a node sends when it fetches from a peer (NestServer's peer headers): the cluster credential
            dev.nest.cluster.ClusterCredential peer = dev.nest.cluster.ClusterCredential.resolve(d.cluster().embedded()
                    ? d.cluster() : d.cluster().withSecret(Fixtures.CLUSTER_SECRET), data);
            credentials.put(k, () -> Map.of(dev.nest.cluster.ClusterCredential.HEADER, peer.header()));
            String token = dev.nest.it.Http.adminToken(data).orElseThrow(() -> new IllegalStateException("no admin token in " + data));
            tokens.put(k, () -> Map.of("Authorization", "Bearer " + token));
            System.out.printf("peer node %s: started on port %d in %.1f s%n", k, n.port(), (System.nanoTime() - t) / 1e9);
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        // zstd: the default (trusted manifest, chunk cache written after the commit, files written on platform threads);
        // each zstd-<variant> changes one of these; floor: `tar -xf` of an uncompressed local tar (file creation alone)
        List<String> methods = plan.methods();
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        Map<String, List<FetchStages>> stages = new LinkedHashMap<>();
        Map<String, List<Double>> cpuSeconds = new LinkedHashMap<>();
        // the chunked rows' CPU until the fetch returned (without the background chunk-cache write)
        Map<String, List<Double>> fetchCpuSeconds = new LinkedHashMap<>();
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        for (Profile pr : profiles) {
            methods.forEach(m -> cpuSeconds.put(pr.id() + "/" + m, new ArrayList<>()));
            methods.forEach(m -> seconds.put(pr.id() + "/" + m, new ArrayList<>()));
            methods.forEach(m -> stages.put(pr.id() + "/" + m, new ArrayList<>()));
        }
        try {
            for (int rep = -1; rep < reps; rep++) {
                for (Profile pr : profiles) {
                    // each repetition starts the round at the next method, so that no method always runs right after
                    // the same one (the floor's 200 MiB of writeback, or gzip's garbage): a fixed order biased rows
                    for (String method : rotated(methods, rep)) {
                        String key = pr.id() + "/" + method;
                        Path node = tmp.resolve("node-" + pr.id() + "-" + method + "-" + (rep + 1));
                        Files.createDirectories(node);
                        quiesce();
                        long cpu0 = os.getProcessCpuTime();
                        long t0 = System.nanoTime();
                        String got;
                        String drained = "";
                        double sec;
                        double fetchCpu = -1;
                        if (method.equals("gzip")) {
                            got = fetchGzip(http, base + "/" + pr.id() + "-gzip/package.tar.gz", node.resolve("code"));
                            sec = (System.nanoTime() - t0) / 1e9;
                        } else if (method.equals("floor")) {
                            got = untar(tars.get(pr.id()), node.resolve("code"), pr.digest());
                            sec = (System.nanoTime() - t0) / 1e9;
                        } else {
                            String codec = packingOf(method);
                            ArtifactTuning d = ArtifactTuning.DEFAULT;
                            ArtifactTuning tuning = switch (method) {
                                case "zstd-sync" -> new ArtifactTuning(d.unpackParallelism(), 0, d.platformWriters(), d.blockingHttp());
                                case "zstd-vthreads" -> new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(), false,
                                        d.blockingHttp());
                                case "zstd-platform" -> new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(), true,
                                        d.blockingHttp(), 0);
                                case "zstd-httpclient" -> new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(),
                                        d.platformWriters(), false);
                                case "zstd-pfetch" -> new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(),
                                        d.platformWriters(), d.blockingHttp(), d.directMaxFiles(), !d.platformFetchers());
                                case "zstd-heap" -> new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(),
                                        d.platformWriters(), d.blockingHttp(), d.directMaxFiles(), d.platformFetchers(), !d.directBuffers());
                                case "zstd-net8" -> new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(),
                                        d.platformWriters(), d.blockingHttp(), d.directMaxFiles(), d.platformFetchers(), d.directBuffers(),
                                        2 * d.fetchParallelism());
                                case "zstd-net2" -> new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(),
                                        d.platformWriters(), d.blockingHttp(), d.directMaxFiles(), d.platformFetchers(), d.directBuffers(),
                                        Math.max(1, d.fetchParallelism() / 2));
                                case "zstd-fresh" -> new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(),
                                        d.platformWriters(), d.blockingHttp(), d.directMaxFiles(), d.platformFetchers(), d.directBuffers(),
                                        d.fetchParallelism(), !d.reuseBodies());
                                default -> d;
                            };
                            ArtifactStore peer = peers.get(pr.id() + "-" + codec);
                            Optional<String> trusted = method.equals("zstd-full") ? Optional.empty() : peer.manifestSha256(pr.digest());
                            boolean jdkPeer = method.equals("zstd-jdkpeer");
                            String url = jdkPeer ? base + "/" + pr.id() + "-" + codec : "http://127.0.0.1:" + nodes.get(codec).port();
                            try (ArtifactStore s = new ArtifactStore(node.resolve("store"), limits, Long.MAX_VALUE, java.util.Set::of, tuning,
                                    jdkPeer ? Map::of : (method.equals("zstd-adminhop") ? tokens : credentials).get(codec), Optional.empty())) {
                                t0 = System.nanoTime();
                                ArtifactStore.Fetched f = s.fetch(pr.digest(), url, trusted);
                                sec = (System.nanoTime() - t0) / 1e9;
                                fetchCpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                                got = f.artifact().digest();
                                if (f.trusted() == method.equals("zstd-full")) {
                                    throw new IllegalStateException(key + ": the manifest was " + (f.trusted() ? "" : "not ") + "trusted");
                                }
                                if (rep >= 0) {
                                    stages.get(key).add(f.stages().orElseThrow());
                                }
                                long d0 = System.nanoTime();
                                if (!f.cached().get()) {
                                    throw new IllegalStateException(key + ": the chunk cache was not written");
                                }
                                drained = String.format(Locale.ROOT, "  chunk cache done %.3f s later; cpu until the fetch returned %.3f s",
                                        (System.nanoTime() - d0) / 1e9, fetchCpu);
                            }
                        }
                        double cpuSec = (os.getProcessCpuTime() - cpu0) / 1e9;
                        if (!got.equals(pr.digest())) {
                            throw new IllegalStateException(key + " unpacked content with digest " + got + ", expected " + pr.digest());
                        }
                        if (rep >= 0) {
                            seconds.get(key).add(sec);
                            cpuSeconds.get(key).add(cpuSec);
                            if (fetchCpu >= 0) {
                                fetchCpuSeconds.computeIfAbsent(key, k -> new ArrayList<>()).add(fetchCpu);
                            }
                        }
                        System.out.printf("%s %-11s %-13s %6.3f s  %7.1f MB/s  cpu %6.3f s%s%n", rep < 0 ? "warm-up" : "rep " + (rep + 1),
                                pr.id(), method, sec, pr.g().bytes() / 1e6 / sec, cpuSec, drained);
                    }
                }
            }
        } finally {
            server.stop(0);
            for (NestServer n : nodes.values()) {
                n.close();
            }
        }

        StringBuilder report = new StringBuilder();
        List<String> verdicts = new ArrayList<>();
        List<BenchBlock.Ratio> ratios = new ArrayList<>();
        List<String> measured = new ArrayList<>();
        for (Profile pr : profiles) {
            Map<String, Double> mbps = new LinkedHashMap<>();
            StringBuilder table = new StringBuilder();
            table.append("| method | on the wire | median time | MB/s (median) | fastest | slowest | CPU, median | stages, median ms (fetch / decompress / unpack) |\n"
                    + "|---|---:|---:|---:|---:|---:|---:|---|\n");
            for (String m : methods) {
                List<Double> sec = seconds.get(pr.id() + "/" + m);
                double med = Stats.median(sec);
                mbps.put(m, pr.g().bytes() / 1e6 / med);
                List<FetchStages> st = stages.get(pr.id() + "/" + m);
                String stageText = st.isEmpty() ? "one stream: not separable" : String.format(Locale.ROOT, "%.0f / %.0f / %.0f",
                        Stats.median(st.stream().map(FetchStages::fetchMs).toList()),
                        Stats.median(st.stream().map(FetchStages::decompressMs).toList()),
                        Stats.median(st.stream().map(FetchStages::unpackMs).toList()));
                table.append(String.format(Locale.ROOT, "| %s | %.1f MiB (%.2fx) | %.3f s | %.0f | %.3f s | %.3f s | %.2f s | %s |%n",
                        label(m), wire(pr, m) / (double) MIB, pr.g().bytes() / (double) wire(pr, m), med, mbps.get(m),
                        Stats.min(sec), Stats.max(sec), Stats.median(cpuSeconds.get(pr.id() + "/" + m)), stageText));
            }
            StringBuilder untilReturn = new StringBuilder();
            for (String m : methods) {
                List<Double> c = fetchCpuSeconds.get(pr.id() + "/" + m);
                if (c != null) {
                    untilReturn.append(untilReturn.isEmpty() ? "CPU until the fetch returned (no background chunk-cache write), median: " : "; ")
                            .append(String.format(Locale.ROOT, "%s %.2f s", m, Stats.median(c)));
                }
            }
            if (!untilReturn.isEmpty()) {
                table.append('\n').append(untilReturn).append(".\n");
            }
            if (!methods.containsAll(QUICK_METHODS)) {
                // a subset without both baselines and the default: its table only, no ratio
                report.append(String.format(Locale.ROOT, "### %s%n%n%s%n", pr.title(), table));
                continue;
            }
            // per repetition (the methods of one repetition ran back to back), then the median and the spread
            List<Double> overFloor = new ArrayList<>();
            List<Double> overGzip = new ArrayList<>();
            List<Double> zs = seconds.get(pr.id() + "/zstd");
            for (int i = 0; i < zs.size(); i++) {
                overFloor.add(zs.get(i) / seconds.get(pr.id() + "/floor").get(i));
                overGzip.add(seconds.get(pr.id() + "/gzip").get(i) / zs.get(i));
            }
            double floorRatio = Stats.median(overFloor);
            double gzipRatio = Stats.median(overGzip);
            boolean met = floorRatio <= 1.3 && gzipRatio >= 2;
            StringBuilder others = new StringBuilder();
            for (String m : List.of("zstd-full", "zstd-vthreads", "zstd-heap", "zstd-net8", "zstd-net2", "zstd-fresh", "zstd-jdkpeer", "zstd-adminhop", "uniform", "lz4", "stored", "auto")) {
                if (methods.contains(m)) {
                    // per repetition, as the default's ratios
                    List<Double> f = new ArrayList<>();
                    List<Double> gz = new ArrayList<>();
                    List<Double> ms = seconds.get(pr.id() + "/" + m);
                    for (int i = 0; i < ms.size(); i++) {
                        f.add(ms.get(i) / seconds.get(pr.id() + "/floor").get(i));
                        gz.add(seconds.get(pr.id() + "/gzip").get(i) / ms.get(i));
                    }
                    others.append(String.format(Locale.ROOT, "; %s %.2fx the floor, gzip / it %.2fx", m.equals("zstd-full")
                            ? "untrusted (every file hashed)" : m, Stats.median(f), Stats.median(gz)));
                }
            }
            String verdict = String.format(Locale.ROOT, "%s: default fetch / floor = %.2fx (target <= 1.3x), gzip / default fetch = %.2fx "
                    + "(target >= 2x): %s%s", pr.title(), floorRatio, gzipRatio, met ? "met" : "missed", others);
            verdicts.add(verdict);
            ratios.add(new BenchBlock.Ratio(plan.ratioPrefix() + pr.id() + ".zstd-over-floor", floorRatio, floorRatio,
                    (Stats.max(overFloor) - Stats.min(overFloor)) / 2, false));
            ratios.add(new BenchBlock.Ratio(plan.ratioPrefix() + pr.id() + ".gzip-over-zstd", gzipRatio, gzipRatio,
                    (Stats.max(overGzip) - Stats.min(overGzip)) / 2, true));
            measured.add(String.format(Locale.ROOT, "%s: **%.2fx** the floor, gzip time / this **%.2fx**", pr.id().equals("many-small")
                    ? "many small files" : "large files", floorRatio, gzipRatio));
            report.append(String.format(Locale.ROOT, "### %s%n%n%d files, %.1f MiB: %s.%n%n%s%n**%s.**%n%n", pr.title(),
                    pr.g().files(), pr.g().bytes() / (double) MIB, pr.g().description(), table, verdict));
        }
        System.out.println();
        System.out.print(report);
        String results = System.getenv("NEST_BENCH_RESULTS");
        if (results != null && !results.isBlank()) {
            // for `distribution/bench.sh --check`: the section's heading and a block of this run's ratios
            Files.writeString(Path.of(results), HEADING + "\n\n" + new BenchBlock(ratios, List.of()).render());
        }
        if (docs) {
            ratios.addAll(quickRatios);
            String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
            BenchBlock block = new BenchBlock(ratios, List.of(new BenchBlock.Row(280, "code path, 200 MiB: fetch from a peer, "
                    + "decompress, verify and unpack (the default: " + SHIPPED + " chunks, trusted manifest) vs the floor (`tar -xf` of an uncompressed local "
                    + "tar) and vs single-stream gzip, same run", "<= 1.3x the floor; >= 2x gzip", String.join("; ", measured)
                    + (verdicts.stream().allMatch(v -> v.contains(": met;")) ? ": met" : ": missed where a figure is above 1.3x or "
                    + "below 2x (see docs/BENCHMARKS.md)"), "`distribution/bench-codepath.sh`")), coverage280(ratios));
            String body = String.format(Locale.ROOT, """
                    Measured %s on %d cores (`nproc`), %s, Linux %s; %s %s. Load average (1/5/15 min) %s at the start, %s at the end.

                    Command: `distribution/bench-codepath.sh` (%d MiB per profile, %d repetitions after a warm-up round, profiles and methods interleaved, each repetition starting its round at the next method, `sync` before each run; medians; ratios are the medians of each repetition's ratio). It takes about %d s here.

                    Each method starts from an empty node-side directory and ends with the content unpacked. The chunked rows fetch from a real node on loopback in the same process (a Nest server started on a data directory holding the packages: its gateway serves each chunk from its file with sendfile, page cache, to a request carrying the cluster's peer credential, and forwards the manifest to the admin server), with the peer credential a node sends; the gzip stream (and row zstd-jdkpeer) comes from a JDK HttpServer in the same process streaming files from disk. Two content profiles, generated deterministically, because the ratio depends on the file count.

                    - **floor**: `tar -xf` of an uncompressed tar of the same content on local disk (GNU tar, one process): file creation alone, nothing fetched, decompressed or verified.
                    - **zstd** (the default path; chunks packed as a node of an upgraded cluster packs them by default, `artifacts.package-format: auto` with every node reading format 2: `ChunkCodecs.Policy.FAST_LARGE`, lz4 for large files' parts, incompressible chunks stored, chunks of many files zstd): `ArtifactStore.fetch(digest, peer, trustedManifestSha256, ...)`: the manifest, whose sha256 equals the one the cluster recorded (ADR 0027), then 4 MiB chunks (%d downloads at a time) on virtual threads; each chunk's sha256 checked against the trusted manifest, decompressed (at most one chunk per core at a time) and its files written by %d platform threads as soon as it arrives (created read-only, one `open`/`write`/`close` each, no per-file fsync); no file is hashed; the directory is committed with an atomic rename; the chunks are kept in memory (bounded, 256 MiB) and written to the chunk cache after the commit, on a background thread (its time is printed by the run, not counted).
                    - **zstd-full**: the same without a trusted manifest (no record, or a different one): every file hashed and the content digest recomputed, as a fetch did before.
                    - **zstd-sync**: the chunk cache written by the fetching threads before the commit, as before.
                    - **zstd-vthreads**: files written on the fetch's virtual threads (8 at a time), as before.
                    - **zstd-platform**: every chunk handed to the platform writer threads, also a chunk of a few large parts, which the default writes on its fetching thread (`ArtifactTuning.directMaxFiles` 0 against %d).
                    - **zstd-httpclient**: chunks read with the JDK `HttpClient` (`ArtifactTuning.blockingHttp` false) instead of %s%s.
                    - **zstd-pfetch**: each chunk read, decompressed and written on %s (`ArtifactTuning.platformFetchers` %s).
                    - **zstd-heap**: each chunk decompressed into a heap array and written through the JDK's temporary direct buffer (`ArtifactTuning.directBuffers` false) instead of into a direct buffer reused within the fetch.
                    - **zstd-net8**: twice the default's chunk downloads at once (`ArtifactTuning.fetchParallelism`), to hide more of each request's round trip.
                    - **zstd-net2**: half the default's chunk downloads at once: fewer threads competing for the cores while the peer forwards each chunk whole.
                    - **zstd-fresh**: every received chunk body in a new array (`ArtifactTuning.reuseBodies` false) instead of one kept from an earlier fetch once the chunk cache wrote it (`ChunkBodies`): the heap the bodies take is faulted in and zeroed anew by every fetch.
                    - **zstd-jdkpeer**: the default path fetching from the benchmark's own JDK HttpServer, which streams each chunk file from disk in 1 MiB writes, instead of from a real node (what every other chunked row fetches from, and what this benchmark measured before: the difference is the real node's serving).
                    - **zstd-adminhop**: the default path fetching from the real node with an admin token instead of the cluster's peer credential: the node's gateway then passes each chunk request to its admin server, which reads the chunk file and answers through the gateway (holding the whole answer before it goes on), as every chunk was served before the gateway served peers' chunk fetches from the files itself.
                    - **uniform**: every chunk zstd, manifest format 1: what a node writes while a node of an older release is live, or with `artifacts.package-format: 1` (the default before format 2 was gated by the cluster).
                    - **lz4**: the default path with lz4 chunks.
                    - **stored**: zstd chunks, those that zstd shrinks by less than 1/32 stored uncompressed (`ChunkCodecs.Policy.STORE_INCOMPRESSIBLE`).
                    - **auto**: per-chunk codecs (`ChunkCodecs.Policy.FAST_LARGE`, named explicitly: the same packing as the default row): as stored, and lz4 for chunks of at most 4 records (large files' parts); chunks of many files zstd.
                    - **gzip**: one `tar.gz`-like stream (the same record framing, `GZIPOutputStream` default level) fetched over HTTP and read through the JDK's `GZIPInputStream` as it arrives, each file written and hashed in turn, the content digest computed (a single stream has no trusted per-chunk digests, so it verifies by hashing the files).
                    - **CPU**: the process's CPU time during the run (the peer's serving threads included; for the chunked rows also the background chunk-cache write, which the wall time does not wait for; the line under each table gives the chunked rows' CPU until the fetch returned).
                    - **stages**: the fetch's own measurement (`FetchStages`): each stage is the wall time during which at least one chunk was in it, so they overlap.

                    %s%s
                    %s
                    """, ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).replaceAll("\\.\\d+", ""),
                    Runtime.getRuntime().availableProcessors(), cpu, Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim(),
                    System.getProperty("java.vm.name"), Runtime.version(), loadStart, Machine.loadAverage(),
                    mib, reps, Math.round((System.nanoTime() - started) / 1e9), ArtifactStore.FETCH_PARALLELISM,
                    ArtifactTuning.DEFAULT.unpackParallelism(), ArtifactTuning.DEFAULT.directMaxFiles(),
                    ArtifactTuning.DEFAULT.blockingHttp() ? "`HttpURLConnection`, the default" : "the JDK `HttpClient` (the default too)",
                    ArtifactTuning.DEFAULT.blockingHttp() ? " (each chunk hashed as it arrives with either)" : "",
                    ArtifactTuning.DEFAULT.platformFetchers() ? "a virtual thread per chunk instead of the default's pool of platform threads"
                            : "a pool of platform threads made for the fetch instead of the default's virtual thread per chunk",
                    !ArtifactTuning.DEFAULT.platformFetchers(), report, DESIGNS, block.render());
            Path doc = root.resolve("docs/BENCHMARKS.md");
            BenchmarksDoc.writeSection(doc, HEADING, body);
            System.out.println("wrote " + HEADING + " in " + doc);
        }
        return ratios;
    }

    /**
     * Prints what the fetch's primitives cost on this machine, in MB per second of this thread's CPU: SHA-256 (the chunk
     * checks; the JDK uses SHA-NI where the CPU has it), and zstd and lz4 decompression of a 4 MiB chunk of the
     * benchmark's JavaScript-like text and of random bytes, and the copy of 4 MiB from a heap array to a direct buffer.
     */
    static void primitives() throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        String[] words = new String[3000];
        for (int i = 0; i < words.length; i++) {
            words[i] = Long.toString(r.nextLong(1L << 40), 36);
        }
        byte[] text = js(r, words, 4 * MIB);
        byte[] random = new byte[4 * MIB];
        r.nextBytes(random);
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        var lz4 = net.jpountz.lz4.LZ4Factory.fastestInstance();
        StringBuilder out = new StringBuilder("primitives (MB/s of CPU, 4 MiB buffers):");
        ByteBuffer direct = ByteBuffer.allocateDirect(4 * MIB);
        for (var data : List.of(Map.entry("text", text), Map.entry("random", random))) {
            byte[] z = com.github.luben.zstd.Zstd.compress(data.getValue(), 3);
            byte[] l = lz4.fastCompressor().compress(data.getValue());
            byte[] dst = new byte[4 * MIB];
            Map<String, Runnable> ops = new LinkedHashMap<>();
            ops.put("sha256", () -> Digests256.hash(data.getValue()));
            ops.put("zstd", () -> com.github.luben.zstd.Zstd.decompressByteArray(dst, 0, dst.length, z, 0, z.length));
            ops.put("lz4", () -> lz4.safeDecompressor().decompress(l, 0, l.length, dst, 0, dst.length));
            ops.put("heap-to-direct copy", () -> direct.clear().put(data.getValue()));
            for (var op : ops.entrySet()) {
                for (int i = 0; i < 10; i++) {
                    op.getValue().run(); // warm up the JIT
                }
                long c0 = threads.getCurrentThreadCpuTime();
                int n = 40;
                for (int i = 0; i < n; i++) {
                    op.getValue().run();
                }
                double sec = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
                out.append(String.format(Locale.ROOT, " %s %s %.0f;", data.getKey(), op.getKey(), n * 4.0 * MIB / 1e6 / sec));
            }
            out.append(String.format(Locale.ROOT, " (%s: zstd ratio %.2f, lz4 ratio %.2f);", data.getKey(),
                    data.getValue().length / (double) z.length, data.getValue().length / (double) l.length));
        }
        System.out.println(out);
    }

    /** SHA-256 of a whole array (the primitives' measurement). */
    private static final class Digests256 {
        static void hash(byte[] b) {
            try {
                MessageDigest.getInstance("SHA-256").digest(b);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** {@code methods} starting at index {@code rep} (mod its size): the order of repetition {@code rep} (-1: the warm-up). */
    static List<String> rotated(List<String> methods, int rep) {
        int k = Math.floorMod(rep + 1, methods.size());
        List<String> order = new ArrayList<>(methods.subList(k, methods.size()));
        order.addAll(methods.subList(0, k));
        return order;
    }

    /**
     * Starts each timed run from a quiet machine: flushes the previous runs' dirty pages ({@code sync}) and
     * collects garbage. Earlier runs' trees are only deleted at the end: deleting 16 000 files just before a run
     * (on a file system mounted with {@code discard}) slowed the following run by 2x.
     */
    private static void quiesce() throws IOException, InterruptedException {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
        System.gc();
    }

    /**
     * The floor: {@code tar -xf} of the uncompressed tar into {@code dir}; its exit status is its check. Returns
     * {@code digest} when tar succeeded.
     */
    private static String untar(Path tar, Path dir, String digest) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder("tar", "-xf", tar.toString(), "-C", dir.toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("tar -xf " + tar + " failed with exit status " + p.exitValue());
        }
        return digest;
    }

    /** Bytes on the wire of method {@code m} (the zstd variants send the zstd chunks). */
    private static long wire(Profile pr, String m) {
        return m.equals("floor") ? pr.g().bytes() : pr.wire().get(packingOf(m));
    }

    private static String label(String m) {
        return switch (m) {
            case "floor" -> "floor: `tar -xf` of a local uncompressed tar";
            case "zstd" -> "**the default path**: trusted manifest, chunks packed as shipped (" + SHIPPED + ")";
            case "uniform" -> "every chunk zstd (format 1: a cluster with an older node, or package-format 1)";
            case "zstd-full" -> "zstd, every file hashed (no trusted manifest)";
            case "zstd-sync" -> "zstd, chunk cache written before the commit";
            case "zstd-vthreads" -> "zstd, files written on virtual threads";
            case "zstd-platform" -> "zstd, every chunk's files written by the platform writers";
            case "zstd-httpclient" -> "zstd, chunks read with the JDK HttpClient";
            case "zstd-pfetch" -> ArtifactTuning.DEFAULT.platformFetchers() ? "zstd, chunks fetched on virtual threads"
                    : "zstd, chunks fetched on platform threads";
            case "zstd-heap" -> ArtifactTuning.DEFAULT.directBuffers() ? "zstd, chunks decompressed into heap arrays"
                    : "zstd, chunks decompressed into direct buffers";
            case "zstd-net8" -> "zstd, " + 2 * ArtifactTuning.DEFAULT.fetchParallelism() + " chunk downloads at once instead of "
                    + ArtifactTuning.DEFAULT.fetchParallelism();
            case "zstd-net2" -> "zstd, " + Math.max(1, ArtifactTuning.DEFAULT.fetchParallelism() / 2) + " chunk downloads at once instead of "
                    + ArtifactTuning.DEFAULT.fetchParallelism();
            case "zstd-fresh" -> "zstd, every chunk body received into a new array instead of a reused one";
            case "zstd-jdkpeer" -> "zstd, chunks from the benchmark's JDK HttpServer (files streamed from disk) instead of a real node";
            case "zstd-adminhop" -> "zstd, chunks through the gateway's hop to the admin server (an admin token, not the peer credential)";
            case "lz4" -> "lz4 chunks, trusted manifest";
            case "stored" -> "zstd chunks, incompressible ones stored";
            case "auto" -> "per-chunk codecs (lz4 for large files' parts, zstd for many files, incompressible stored)";
            default -> "gzip, one stream (baseline)";
        };
    }

    /** The data directory of the real node that serves {@code packing}'s packages. */
    private static Path peerData(Path tmp, String packing) {
        return tmp.resolve("peer-" + packing).resolve("data");
    }

    private static void sendFile(HttpExchange ex, Optional<Path> f) throws IOException {
        if (f.isEmpty()) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        ex.sendResponseHeaders(200, Files.size(f.get()));
        // 1 MiB per write: the peer stands for another node, its serving should take as little of these cores as it can
        try (OutputStream out = ex.getResponseBody(); InputStream in = Files.newInputStream(f.get())) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
        }
        ex.close();
    }

    // ---- the baseline ----------------------------------------------------------------------------------

    /** One record per file, the framing of the chunked format (kind, path, mode, size, offset 0, length, bytes). */
    private static void writeTarGz(Path content, Path gz) throws IOException {
        TreeMap<String, Path> files = listFiles(content);
        try (OutputStream out = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(gz), 1 << 16), 1 << 16)) {
            for (var e : files.entrySet()) {
                byte[] p = e.getKey().getBytes(StandardCharsets.UTF_8);
                long size = Files.size(e.getValue());
                ByteBuffer h = ByteBuffer.allocate(25 + p.length);
                h.put((byte) 'F').putShort((short) p.length).put(p).putShort((short) 0644).putLong(size).putLong(0).putInt((int) size);
                out.write(h.array());
                Files.copy(e.getValue(), out);
            }
        }
    }

    /** Fetches the gzip stream and unpacks it as it arrives; returns the content digest. */
    private static String fetchGzip(HttpClient http, String url, Path dir) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = http.send(BenchAuth.request(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        TreeMap<String, String> hashes = new TreeMap<>();
        java.util.Set<Path> dirs = new java.util.HashSet<>();
        byte[] buf = new byte[1 << 16];
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new GZIPInputStream(r.body(), 1 << 16), 1 << 16))) {
            while (true) {
                int kind;
                try {
                    kind = in.readUnsignedByte();
                } catch (EOFException end) {
                    break;
                }
                if (kind != 'F') {
                    throw new IOException("bad record");
                }
                byte[] p = new byte[in.readUnsignedShort()];
                in.readFully(p);
                in.readUnsignedShort();
                long size = in.readLong();
                in.readLong();
                int part = in.readInt();
                String rel = new String(p, StandardCharsets.UTF_8);
                Path target = dir.resolve(rel).normalize();
                if (!target.startsWith(dir) || size != part) {
                    throw new IOException("bad entry " + rel);
                }
                if (dirs.add(target.getParent())) {
                    Files.createDirectories(target.getParent());
                }
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    int left = part;
                    while (left > 0) {
                        int n = in.read(buf, 0, Math.min(buf.length, left));
                        if (n < 0) {
                            throw new EOFException(rel);
                        }
                        md.update(buf, 0, n);
                        out.write(buf, 0, n);
                        left -= n;
                    }
                }
                hashes.put(rel, HexFormat.of().formatHex(md.digest()));
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        hashes.forEach((path, h) -> {
            md.update(path.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(h.getBytes(StandardCharsets.US_ASCII));
            md.update((byte) '\n');
        });
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    // ---- content ---------------------------------------------------------------------------------------

    /** What a generator wrote: file count, bytes, and a sentence describing the mix. */
    record Generated(int files, long bytes, String description) {
    }

    private static final String[] KEYWORDS = {"const", "let", "var", "function", "return", "if", "else", "for", "while",
            "new", "this", "typeof", "async", "await", "export", "import", "from", "class", "extends", "null", "true", "false",
            "undefined", "module.exports", "require", "throw", "catch", "try", "Object.keys", "Array.isArray", "JSON.stringify",
            "Promise.resolve", "arguments", "prototype", "length", "push", "map", "filter", "reduce", "forEach"};

    /**
     * Writes about {@code total} bytes: 60% JavaScript-like text in many small files (a vocabulary of identifiers,
     * keywords, strings and numbers in code-shaped lines: zstd compresses it about 4x, like real code), 40% binary-ish
     * files of about 4 MiB (alternating 64 KiB runs of random bytes and of structured records).
     */
    static Generated generate(Path dir, long total) throws IOException {
        SplittableRandom r = new SplittableRandom(20261124);
        String[] words = new String[3000];
        for (int i = 0; i < words.length; i++) {
            StringBuilder w = new StringBuilder();
            int len = 3 + r.nextInt(10);
            for (int j = 0; j < len; j++) {
                w.append((char) ((j == 0 ? 'a' : (r.nextInt(5) == 0 ? 'A' : 'a')) + r.nextInt(26)));
            }
            words[i] = w.toString();
        }
        long textTarget = total * 6 / 10;
        long bytes = 0;
        int files = 0;
        int text = 0;
        int pkg = 0;
        while (bytes < textTarget) {
            String name = words[r.nextInt(words.length)] + "-" + pkg;
            int count = 5 + r.nextInt(60);
            for (int i = 0; i < count && bytes < textTarget; i++) {
                int size = (int) Math.min(textTarget - bytes, Math.max(200, Math.min(40 * 1024,
                        (long) Math.exp(6 + r.nextDouble() * 4.5))));
                String rel = "node_modules/" + name + (i % 3 == 0 ? "/lib/" : i % 3 == 1 ? "/dist/" : "/") + words[r.nextInt(words.length)] + i + ".js";
                Path f = dir.resolve(rel);
                Files.createDirectories(f.getParent());
                Files.write(f, js(r, words, size));
                bytes += size;
                files++;
                text++;
            }
            pkg++;
        }
        int binary = 0;
        while (bytes < total) {
            int size = (int) Math.min(total - bytes, 3 * MIB + r.nextInt(2 * MIB));
            byte[] b = new byte[size];
            for (int off = 0; off < size; off += 65536) {
                int n = Math.min(65536, size - off);
                if ((off / 65536) % 2 == 0) {
                    for (int i = 0; i < n; i++) {
                        b[off + i] = (byte) r.nextInt(256);
                    }
                } else {
                    for (int i = 0; i < n; i += 16) {
                        int rec = r.nextInt(64);
                        for (int j = 0; j < 16 && i + j < n; j++) {
                            b[off + i + j] = (byte) (j < 4 ? rec : j < 8 ? (i >> 4) : j < 12 ? 0 : r.nextInt(4));
                        }
                    }
                }
            }
            Path f = dir.resolve("vendor/bin-" + binary + (binary % 2 == 0 ? ".wasm" : ".node"));
            Files.createDirectories(f.getParent());
            Files.write(f, b);
            bytes += size;
            files++;
            binary++;
        }
        return new Generated(files, bytes, String.format(Locale.ROOT, "%d JavaScript files (a node_modules-like tree of small"
                + " text files, 200 B to 40 KiB) and %d binary-ish files of about 4 MiB (half incompressible, half structured)",
                text, binary));
    }

    /**
     * Writes about {@code total} bytes shaped like a Java function's package: 55% in 6 fat jars (entries of already
     * deflated class data behind zip headers naming classes: barely compressible, as real jars), 30% in large text
     * assets (bundled JavaScript, JSON data and source maps of 2 to 12 MiB), 15% in binary assets (images and fonts:
     * incompressible, 1 to 6 MiB), plus 24 small configuration files.
     */
    static Generated generateLargeFiles(Path dir, long total) throws IOException {
        SplittableRandom r = new SplittableRandom(20261125);
        String[] words = new String[3000];
        for (int i = 0; i < words.length; i++) {
            StringBuilder w = new StringBuilder();
            int len = 3 + r.nextInt(10);
            for (int j = 0; j < len; j++) {
                w.append((char) ('a' + r.nextInt(26)));
            }
            words[i] = w.toString();
        }
        long bytes = 0;
        int files = 0;
        for (int i = 0; i < 24; i++) {
            int size = 200 + r.nextInt(8000);
            Path f = dir.resolve("config/" + words[r.nextInt(words.length)] + "-" + i + (i % 2 == 0 ? ".properties" : ".yaml"));
            Files.createDirectories(f.getParent());
            Files.write(f, js(r, words, size));
            bytes += size;
            files++;
        }
        long jarTarget = total * 55 / 100;
        int jars = 0;
        for (int i = 0; i < 6 && bytes < jarTarget; i++) {
            int size = (int) Math.min(jarTarget - bytes, i == 5 ? jarTarget - bytes : (jarTarget / 6) * (7 + r.nextInt(7)) / 10);
            byte[] b = new byte[size];
            int off = 0;
            while (off < size) {
                String cls = "com/example/" + words[r.nextInt(words.length)] + "/" + words[r.nextInt(words.length)] + ".class";
                byte[] name = cls.getBytes(StandardCharsets.US_ASCII);
                int header = Math.min(30, size - off);
                if (header >= 4) {
                    // a zip local file header's signature; the rest of the header stays zero
                    b[off] = 0x50;
                    b[off + 1] = 0x4b;
                    b[off + 2] = 3;
                    b[off + 3] = 4;
                }
                off += header;
                int n = Math.min(name.length, size - off);
                System.arraycopy(name, 0, b, off, n);
                off += n;
                int data = Math.min(size - off, 500 + r.nextInt(6000));
                for (int k = 0; k < data; k++) {
                    b[off + k] = (byte) r.nextInt(256);
                }
                off += data;
            }
            Path f = dir.resolve("lib/" + words[r.nextInt(words.length)] + "-all-" + i + ".jar");
            Files.createDirectories(f.getParent());
            Files.write(f, b);
            bytes += size;
            files++;
            jars++;
        }
        long textTarget = bytes + total * 30 / 100;
        int text = 0;
        while (bytes < textTarget) {
            int size = (int) Math.min(textTarget - bytes, 2 * MIB + r.nextInt(10 * MIB));
            String ext = text % 3 == 0 ? ".js" : text % 3 == 1 ? ".json" : ".js.map";
            Path f = dir.resolve("assets/" + words[r.nextInt(words.length)] + "-" + text + ext);
            Files.createDirectories(f.getParent());
            Files.write(f, js(r, words, size));
            bytes += size;
            files++;
            text++;
        }
        int binary = 0;
        while (bytes < total) {
            int size = (int) Math.min(total - bytes, MIB + r.nextInt(5 * MIB));
            byte[] b = new byte[size];
            for (int k = 0; k < size; k++) {
                b[k] = (byte) r.nextInt(256);
            }
            Path f = dir.resolve("assets/media/" + words[r.nextInt(words.length)] + "-" + binary + (binary % 2 == 0 ? ".png" : ".woff2"));
            Files.createDirectories(f.getParent());
            Files.write(f, b);
            bytes += size;
            files++;
            binary++;
        }
        return new Generated(files, bytes, String.format(Locale.ROOT, "%d fat jars (zip entries of already deflated class data),"
                + " %d large text assets (bundled JavaScript, JSON, source maps; 2 to 12 MiB), %d binary assets (images,"
                + " fonts; incompressible) and 24 small configuration files", jars, text, binary));
    }

    /** A word with a skewed (roughly Zipf-like) frequency, as identifiers in real code. */
    private static String w(SplittableRandom r, String[] words) {
        double x = r.nextDouble();
        return words[(int) (x * x * x * words.length)];
    }

    private static byte[] js(SplittableRandom r, String[] words, int size) {
        StringBuilder sb = new StringBuilder(size + 128);
        sb.append("'use strict';\n");
        int indent = 0;
        while (sb.length() < size) {
            sb.append("  ".repeat(indent));
            switch (r.nextInt(6)) {
                case 0 -> sb.append("const ").append(w(r, words)).append(" = require('./")
                        .append(w(r, words)).append("');");
                case 1 -> {
                    sb.append("function ").append(w(r, words)).append('(').append(w(r, words))
                            .append(", ").append(w(r, words)).append(") {");
                    indent = Math.min(indent + 1, 4);
                }
                case 2 -> {
                    sb.append("}");
                    indent = Math.max(indent - 1, 0);
                }
                case 3 -> sb.append("if (").append(w(r, words)).append(" ").append(r.nextBoolean() ? "===" : "!==")
                        .append(' ').append(KEYWORDS[r.nextInt(KEYWORDS.length)]).append(") return ")
                        .append(r.nextInt(1000)).append(';');
                case 4 -> sb.append(KEYWORDS[r.nextInt(KEYWORDS.length)]).append(' ').append(w(r, words))
                        .append('.').append(w(r, words)).append("(\"").append(w(r, words))
                        .append("\", ").append(r.nextInt(100000)).append(");");
                default -> sb.append("// ").append(w(r, words)).append(' ').append(w(r, words))
                        .append(' ').append(KEYWORDS[r.nextInt(KEYWORDS.length)]);
            }
            sb.append('\n');
        }
        sb.setLength(size);
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static TreeMap<String, Path> listFiles(Path root) throws IOException {
        TreeMap<String, Path> files = new TreeMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                files.put(root.relativize(f).toString().replace('\\', '/'), f);
                return FileVisitResult.CONTINUE;
            }
        });
        return files;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
