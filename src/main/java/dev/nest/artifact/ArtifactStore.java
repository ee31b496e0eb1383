package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import java.util.Set;
import java.net.http.HttpClient;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The node's package store under {@code <data>/artifacts}: {@code code/<hex>/} holds each package unpacked,
 * named by its content digest, so that every sandbox of the same content shares one read-only directory and
 * a redeploy or rollback of known content costs no copy.
 *
 * <p>Ingesting unpacks into {@code staging/} first, runs the caller's preparation step there (for example
 * compiling Java sources), and only then moves the result into place atomically; a failed ingest leaves
 * nothing behind. Unpacking refuses entries that would escape the directory, and stops at
 * {@link PackageLimits}. Thread-safe: concurrent ingests of the same content converge on one directory.
 */
public final class ArtifactStore {
    /** The default size of the node's package cache (unpacked code plus chunks). */
    public static final long DEFAULT_CACHE_BYTES = 10L << 30;
    /** A pin set that pins every package (while what is in use is not known yet, nothing may be evicted). */
    public static final Set<String> PIN_ALL = java.util.Collections.unmodifiableSet(new java.util.HashSet<>());
    /** How many chunks one fetch downloads at a time from a peer. */
    public static final int FETCH_PARALLELISM = 4;
    /**
     * How many chunks are written to disk at once by default: file creation waits on the file system more than on a
     * core, so more writers than cores pay off.
     */
    public static final int UNPACK_PARALLELISM = 8;
    /** The preparation step that does nothing (a peer fetch): the unpacked files are already read-only. */
    private static final Consumer<Path> NO_PREPARE = p -> { };

    private final Path code;
    private final Path staging;
    private final Path chunks;
    private final Path manifests;
    private final PackageLimits limits;
    private final long cacheBytes;
    private final Supplier<Set<String>> pinned;
    private final int unpackParallelism;
    private final ArtifactCache cache = new ArtifactCache();
    private final int cpus = Math.max(1, Runtime.getRuntime().availableProcessors());
    private volatile HttpClient http;

    public ArtifactStore(Path root, PackageLimits limits) {
        this(root, limits, DEFAULT_CACHE_BYTES, Set::of);
    }

    /**
     * @param cacheBytes the LRU bound on unpacked code plus chunks; least recently used packages beyond it are
     *                   removed after each new package, except those {@code pinned} names ({@code sha256:<hex>}
     *                   digests in use by sandboxes on this node; called after each commit, from the committing
     *                   thread)
     */
    public ArtifactStore(Path root, PackageLimits limits, long cacheBytes, Supplier<Set<String>> pinned) {
        this(root, limits, cacheBytes, pinned, UNPACK_PARALLELISM);
    }

    /**
     * {@link #ArtifactStore(Path, PackageLimits, long, Supplier)} writing at most {@code unpackParallelism} chunks'
     * files at once (default {@link #UNPACK_PARALLELISM}; what pays off depends on the file system).
     *
     * @throws ArtifactException 500 when {@code unpackParallelism} is below 1
     */
    public ArtifactStore(Path root, PackageLimits limits, long cacheBytes, Supplier<Set<String>> pinned, int unpackParallelism) {
        if (unpackParallelism < 1) {
            throw new ArtifactException(500, "unpack parallelism " + unpackParallelism + " is out of range; use 1 or more");
        }
        this.unpackParallelism = unpackParallelism;
        this.code = root.resolve("code");
        this.staging = root.resolve("staging");
        this.chunks = root.resolve("chunks");
        this.manifests = root.resolve("manifests");
        this.limits = limits;
        this.cacheBytes = cacheBytes;
        this.pinned = pinned;
        try {
            Files.createDirectories(code);
            Files.createDirectories(staging);
            Files.createDirectories(chunks);
            Files.createDirectories(manifests);
            cleanStaging();
            loadCache();
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot create the artifact store in " + root + ": " + e.getMessage(), e);
        }
    }

    private void cleanStaging() throws IOException {
        try (var s = Files.list(staging)) {
            for (Path p : s.toList()) {
                deleteTree(p);
            }
        }
    }

    /** The unpacked directory of {@code digest}, if this node has it. */
    public Optional<Artifact> find(String digest) {
        Path dir = code.resolve(hex(digest));
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        cache.touch(hex(digest));
        return Optional.of(new Artifact(digest, -1, -1, dir));
    }

    /**
     * Unpacks a zip package, verifies its bounds, runs {@code prepare} on the staged directory, and stores it.
     *
     * @throws ArtifactException 400 naming the entry and the rule it broke
     */
    public Artifact ingestZip(InputStream zip, Consumer<Path> prepare) {
        return ingestZip(zip, Optional.empty(), prepare);
    }

    /** {@link #ingestZip(InputStream, Consumer)}, storing its chunks with {@code codec} (empty: by size). */
    public Artifact ingestZip(InputStream zip, Optional<Codec> codec, Consumer<Path> prepare) {
        Path stage = staging.resolve(UUID.randomUUID().toString());
        Path spooled = staging.resolve(stage.getFileName() + ".zip");
        try {
            Files.createDirectories(stage);
            // Spool first: a zip's central directory is at its end, and reading it is the only way to tell a
            // complete upload from one cut short.
            try (OutputStream out = Files.newOutputStream(spooled)) {
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                int n;
                while ((n = zip.read(buf)) > 0) {
                    total += n;
                    if (total > limits.maxBytes()) {
                        throw new ArtifactException(400, "the package is larger than " + limits.maxBytes()
                                + " bytes; make it smaller or raise the limit");
                    }
                    out.write(buf, 0, n);
                }
            }
            TreeMap<String, String> hashes = new TreeMap<>();
            long total = 0;
            try (ZipFile file = new ZipFile(spooled.toFile(), StandardCharsets.UTF_8)) {
                if (file.size() > limits.maxEntries()) {
                    throw new ArtifactException(400, "the package has more than " + limits.maxEntries() + " entries ("
                            + file.size() + "); leave build caches and test data out of the package");
                }
                byte[] buf = new byte[64 * 1024];
                for (var it = file.entries().asIterator(); it.hasNext(); ) {
                    ZipEntry e = it.next();
                    String rel = safeName(e.getName());
                    Path target = stage.resolve(rel).normalize();
                    if (!target.startsWith(stage) || target.equals(stage)) {
                        if (target.equals(stage) && e.isDirectory()) {
                            continue;
                        }
                        throw new ArtifactException(400, "package entry '" + e.getName() + "' points outside the package; "
                                + "use relative paths without '..'");
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(target);
                        continue;
                    }
                    Files.createDirectories(target.getParent());
                    MessageDigest md = sha256();
                    try (InputStream in = file.getInputStream(e);
                         OutputStream out = new DigestOutputStream(Files.newOutputStream(target), md)) {
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            total += n;
                            if (total > limits.maxBytes()) {
                                throw new ArtifactException(400, "the package unpacks to more than " + limits.maxBytes()
                                        + " bytes; make it smaller or raise the limit");
                            }
                            out.write(buf, 0, n);
                        }
                    }
                    if (hashes.put(rel, HexFormat.of().formatHex(md.digest())) != null) {
                        throw new ArtifactException(400, "package entry '" + rel + "' appears twice");
                    }
                }
            } catch (ZipException | java.io.EOFException ze) {
                throw new ArtifactException(400, "the package is not a valid zip archive (" + ze.getMessage()
                        + "); upload a complete zip of the function's directory (nest fn deploy does this)", ze);
            }
            if (hashes.isEmpty()) {
                throw new ArtifactException(400, "the package is empty; upload a zip of the function's directory "
                        + "(nest fn deploy does this)");
            }
            return commit(stage, digestOf(hashes), hashes.size(), total, codec, prepare);
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot store the package: " + e.getMessage(), e);
        } finally {
            quietDelete(stage);
            quietDelete(spooled);
        }
    }

    /**
     * Stores a directory (a config-file function's {@code code}). When this content is already stored the
     * call only hashes the files.
     */
    public Artifact ingestDirectory(Path dir, Consumer<Path> prepare) {
        if (!Files.isDirectory(dir)) {
            throw new ArtifactException(400, "code directory " + dir + " does not exist or is not a directory");
        }
        Path root = realPath(dir);
        Map<String, Path> files = new TreeMap<>();
        long[] total = {0};
        try {
            Files.walkFileTree(root, java.util.Set.of(java.nio.file.FileVisitOption.FOLLOW_LINKS), 64, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    if (d.getFileName() != null && d.getFileName().toString().equals(".git")) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    if (!d.toRealPath().startsWith(root)) {
                        throw new ArtifactException(400, "link " + d + " points outside the code directory " + root);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    if (!attrs.isRegularFile()) {
                        throw new ArtifactException(400, f + " is not a regular file (device, socket or fifo); remove it from the code directory");
                    }
                    if (!f.toRealPath().startsWith(root)) {
                        throw new ArtifactException(400, "link " + f + " points outside the code directory " + root);
                    }
                    total[0] += attrs.size();
                    if (files.size() >= limits.maxEntries() || total[0] > limits.maxBytes()) {
                        throw new ArtifactException(400, "code directory " + root + " holds more than "
                                + limits.maxEntries() + " files or " + limits.maxBytes() + " bytes");
                    }
                    files.put(root.relativize(f).toString().replace('\\', '/'), f);
                    return FileVisitResult.CONTINUE;
                }
            });
            TreeMap<String, String> hashes = new TreeMap<>();
            for (var e : files.entrySet()) {
                hashes.put(e.getKey(), hashFile(e.getValue()));
            }
            if (hashes.isEmpty()) {
                throw new ArtifactException(400, "code directory " + root + " is empty");
            }
            String digest = digestOf(hashes);
            Optional<Artifact> existing = find(digest);
            if (existing.isPresent()) {
                return new Artifact(digest, hashes.size(), total[0], existing.get().codeDir());
            }
            Path stage = staging.resolve(UUID.randomUUID().toString());
            try {
                for (var e : files.entrySet()) {
                    Path t = stage.resolve(e.getKey());
                    Files.createDirectories(t.getParent());
                    Files.copy(e.getValue(), t);
                }
                return commit(stage, digest, hashes.size(), total[0], Optional.empty(), prepare);
            } finally {
                quietDelete(stage);
            }
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot read code directory " + root + ": " + e.getMessage(), e);
        }
    }

    private Artifact commit(Path stage, String digest, int files, long bytes, Optional<Codec> codec, Consumer<Path> prepare)
            throws IOException {
        return commit(stage, digest, files, bytes, codec, prepare, false);
    }

    /** {@code chunked}: unpacked from chunks, so every file is read-only already. */
    private Artifact commit(Path stage, String digest, int files, long bytes, Optional<Codec> codec, Consumer<Path> prepare,
                            boolean chunked) throws IOException {
        Path target = code.resolve(hex(digest));
        if (Files.isDirectory(target)) {
            cache.touch(hex(digest));
            return new Artifact(digest, files, bytes, target);
        }
        if (!Files.exists(manifests.resolve(hex(digest) + ".json"))) {
            // zip and directory ingests are stored as chunks too, so that peers can fetch them
            writeChunks(stage, codec, ChunkManifest.DEFAULT_CHUNK_BYTES);
        }
        prepare.accept(stage);
        if (prepare != NO_PREPARE || !chunked) {
            makeReadOnly(stage);
        }
        try {
            Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
            // another ingest of the same content won; its directory is equal
        } catch (AtomicMoveNotSupportedException e) {
            throw new ArtifactException(500, "the artifact directory must be on one file system: " + e.getMessage(), e);
        }
        account(hex(digest), prepare == NO_PREPARE ? bytes : -1);
        evict(hex(digest));
        return new Artifact(digest, files, bytes, target);
    }

    private static void makeReadOnly(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                f.toFile().setWritable(false, false);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    // ---- chunked packages ------------------------------------------------------------------------------

    /**
     * Packs {@code stage} into chunks under {@code chunks/} and writes its manifest; returns the manifest.
     * {@code codec} empty: by size ({@link Codec#forSize}).
     */
    private ChunkManifest writeChunks(Path dir, Optional<Codec> codec, int chunkSize) throws IOException {
        var files = PackageArchive.list(dir, p -> true);
        long total = files.stream().mapToLong(PackageArchive.Source::size).sum();
        ChunkManifest m = PackageArchive.pack(files, codec.orElse(Codec.forSize(total)), chunkSize,
                (chunk, bytes) -> writeChunk(chunk.sha256(), bytes));
        writeAtomically(manifests.resolve(hex(m.digest()) + ".json"), m.toJson());
        return m;
    }

    private void writeChunk(String sha, byte[] bytes) throws IOException {
        Path f = chunks.resolve(sha);
        if (!Files.exists(f)) {
            writeAtomically(f, bytes);
        }
    }

    private void writeAtomically(Path f, byte[] bytes) throws IOException {
        Path tmp = staging.resolve(UUID.randomUUID() + ".part");
        Files.write(tmp, bytes);
        try {
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String chunkHex(String sha256) {
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new ArtifactException(400, "'" + sha256 + "' is not a chunk digest; expected 64 lowercase hex digits (sha256 of the compressed chunk)");
        }
        return sha256;
    }

    /** Whether the compressed chunk {@code sha256} (hex) is stored here. */
    public boolean hasChunk(String sha256) {
        return Files.exists(chunks.resolve(chunkHex(sha256)));
    }

    /** The file of the compressed chunk {@code sha256} (hex), to serve to peers. */
    public Optional<Path> chunk(String sha256) {
        Path f = chunks.resolve(chunkHex(sha256));
        return Files.exists(f) ? Optional.of(f) : Optional.empty();
    }

    /** The manifest JSON of package {@code digest}, to serve to peers. */
    public Optional<byte[]> manifest(String digest) {
        try {
            return Optional.of(Files.readAllBytes(manifests.resolve(hex(digest) + ".json")));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot read the manifest of " + digest + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stores one uploaded compressed chunk after checking that its bytes hash to {@code sha256}.
     *
     * @throws ArtifactException 400 when the body is larger than a chunk may be or does not match its digest
     */
    public void putChunk(String sha256, InputStream body) {
        chunkHex(sha256);
        try {
            byte[] bytes = body.readNBytes(MAX_COMPRESSED_CHUNK + 1);
            if (bytes.length > MAX_COMPRESSED_CHUNK) {
                throw new ArtifactException(400, "chunk " + sha256 + " is larger than " + MAX_COMPRESSED_CHUNK + " bytes; use smaller chunks");
            }
            verifyChunk(sha256, bytes);
            writeChunk(sha256, bytes);
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot store chunk " + sha256 + ": " + e.getMessage(), e);
        }
    }

    private static final int MAX_COMPRESSED_CHUNK = ChunkManifest.MAX_CHUNK_BYTES + (ChunkManifest.MAX_CHUNK_BYTES >> 4);

    private static void verifyChunk(String sha256, byte[] bytes) {
        String actual = HexFormat.of().formatHex(sha256().digest(bytes));
        if (!actual.equals(sha256)) {
            throw new ArtifactException(400, "chunk " + sha256 + " is corrupt: its bytes hash to " + actual);
        }
    }

    /**
     * Packs {@code dir} into chunks (see {@link ChunkedPackage}) and stores it like an upload of those chunks
     * and their manifest. For tests and benchmarks, and for local tools.
     */
    public Artifact ingestChunked(Path dir, Codec codec, int chunkSize, Consumer<Path> prepare) {
        try {
            ChunkManifest m = ChunkedPackage.write(dir, p -> true, Optional.of(codec), chunkSize, this::writeChunk);
            return ingestManifest(m.toJson(), prepare);
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot pack " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stores a package from its manifest and chunks already uploaded with {@link #putChunk}: decompresses the
     * chunks in parallel, verifies each chunk's digest and the content digest, unpacks under the same rules as
     * a zip, runs {@code prepare} and commits atomically.
     *
     * @throws ArtifactException 400 naming the missing chunks, a corrupt chunk, or the rule an entry broke
     */
    public Artifact ingestManifest(byte[] json, Consumer<Path> prepare) {
        ChunkManifest m = ChunkManifest.parse(json);
        Optional<Artifact> existing = find(m.digest());
        if (existing.isPresent()) {
            return new Artifact(m.digest(), m.files(), m.bytes(), existing.get().codeDir());
        }
        List<String> missing = m.chunks().stream().map(ChunkManifest.Chunk::sha256).distinct()
                .filter(c -> !Files.exists(chunks.resolve(c))).toList();
        if (!missing.isEmpty()) {
            throw new ArtifactException(400, missing.size() + " chunk(s) of package " + m.digest() + " are not uploaded: "
                    + String.join(", ", missing.subList(0, Math.min(10, missing.size())))
                    + (missing.size() > 10 ? ", ..." : "") + "; PUT them to /api/v1/artifacts/chunks/{sha256} first");
        }
        return materialize(m, json, i -> Files.readAllBytes(chunks.resolve(m.chunks().get(i).sha256())), false, cpus, prepare,
                new StageClock(System::nanoTime));
    }

    /** Reads chunk {@code i} of a manifest from wherever it comes from. */
    private interface ChunkSource {
        byte[] read(int index) throws IOException, InterruptedException;
    }

    /**
     * A package fetch's result: the stored package, and how long each stage took when it had to be fetched (empty
     * when this node held it already).
     */
    public record Fetched(Artifact artifact, Optional<FetchStages> stages) {
    }

    /**
     * Fetches package {@code digest} from the peer at {@code peerBaseUrl} (its API root, e.g.
     * {@code http://10.0.0.2:8080}) unless this node has it: the manifest, then the chunks this node lacks,
     * {@link #FETCH_PARALLELISM} at a time, each verified, decompressed and unpacked as soon as it arrives.
     * The chunks are kept, so this node can serve the package in turn. Measures the stages (see
     * {@link FetchStages}).
     *
     * @throws ArtifactException 502 when the peer cannot serve it, 400 when what it serves does not verify
     */
    public Fetched fetch(String digest, String peerBaseUrl) {
        return fetch(digest, peerBaseUrl, NO_PREPARE);
    }

    /** {@link #fetch(String, String)}, then {@code prepare} on the unpacked directory before it is committed. */
    public Fetched fetch(String digest, String peerBaseUrl, Consumer<Path> prepare) {
        String h = hex(digest);
        Optional<Artifact> existing = find(digest);
        if (existing.isPresent()) {
            return new Fetched(existing.get(), Optional.empty());
        }
        StageClock clock = new StageClock(System::nanoTime);
        String base = peerBaseUrl.replaceAll("/+$", "") + "/api/v1/artifacts";
        long t0 = clock.now();
        byte[] json = get(base + "/manifests/" + digest, "the manifest of " + digest, 64L << 20);
        clock.record(StageClock.Stage.FETCH, t0, clock.now());
        ChunkManifest m = ChunkManifest.parse(json);
        if (!m.digest().equals("sha256:" + h)) {
            throw new ArtifactException(502, "peer " + peerBaseUrl + " answered with the manifest of " + m.digest() + ", not " + digest);
        }
        Semaphore net = new Semaphore(FETCH_PARALLELISM);
        Artifact a = materialize(m, json, i -> {
            String sha = m.chunks().get(i).sha256();
            Path local = chunks.resolve(sha);
            if (Files.exists(local)) {
                return Files.readAllBytes(local);
            }
            net.acquire();
            try {
                return get(base + "/chunks/" + sha, "chunk " + sha, m.chunks().get(i).size());
            } finally {
                net.release();
            }
        }, true, cpus, prepare, clock);
        return new Fetched(a, Optional.of(clock.times()));
    }

    private HttpClient http() {
        if (http == null) {
            synchronized (this) {
                if (http == null) {
                    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(java.time.Duration.ofSeconds(5))
                            .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()).build();
                }
            }
        }
        return http;
    }

    /**
     * GETs {@code url}, reading at most {@code max} bytes (a chunk's declared size: a peer cannot make this node
     * buffer more). Reads the body as a stream into one array (of the announced length when the peer gives one):
     * the HttpClient's byte-array handler copies through a list of small buffers and was several times slower on
     * large chunks.
     */
    private byte[] get(String url, String what, long max) {
        try {
            var r = http().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).GET()
                    .timeout(java.time.Duration.ofSeconds(60)).build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    throw new ArtifactException(502, "peer answered " + r.statusCode() + " for " + what + " (" + url + ")");
                }
                long length = r.headers().firstValueAsLong("content-length").orElse(-1);
                if (length > max) {
                    throw new ArtifactException(502, "peer sent more than the " + max + " bytes of " + what + " (" + url + ")");
                }
                if (length >= 0) {
                    // the size is known: read straight into one array of that size, no intermediate buffers
                    byte[] body = new byte[(int) length];
                    int n = in.readNBytes(body, 0, body.length);
                    if (n < body.length || in.read() != -1) {
                        throw new ArtifactException(502, "peer sent " + (n < body.length ? n : "more than " + length)
                                + " bytes of " + what + " but announced " + length + " (" + url + ")");
                    }
                    return body;
                }
                byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
                if (body.length > max) {
                    throw new ArtifactException(502, "peer sent more than the " + max + " bytes of " + what + " (" + url + ")");
                }
                return body;
            }
        } catch (IOException e) {
            throw new ArtifactException(502, "cannot fetch " + what + " from " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArtifactException(500, "interrupted while fetching " + what, e);
        }
    }

    /**
     * Reads every chunk (in parallel, on virtual threads), decompresses and unpacks each one as soon as it is
     * read, with at most {@code cpu} chunks decompressing at once, then checks the content digest and commits.
     * Each chunk's sha256 is checked once, before anything else uses its bytes; {@code keep}: then store it in the
     * node's chunk cache (it came from a peer). Records each chunk's stages on {@code clock}.
     */
    private Artifact materialize(ChunkManifest m, byte[] json, ChunkSource source, boolean keep, int cpu,
                                 Consumer<Path> prepare, StageClock clock) {
        if (m.bytes() > limits.maxBytes() || m.files() > limits.maxEntries()) {
            throw new ArtifactException(400, "the package unpacks to " + m.bytes() + " bytes in " + m.files()
                    + " files; the limits are " + limits.maxBytes() + " bytes and " + limits.maxEntries() + " entries");
        }
        Path stage = staging.resolve(UUID.randomUUID().toString());
        try {
            Files.createDirectories(stage);
            PackageArchive.Unpacked u = new PackageArchive.Unpacked(stage, limits);
            Semaphore decompress = new Semaphore(cpu);
            Semaphore unpack = new Semaphore(unpackParallelism);
            // bounds the chunks held in memory at once (compressed or raw) whatever the package size
            Semaphore inFlight = new Semaphore(FETCH_PARALLELISM + unpackParallelism + cpu);
            try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> tasks = new ArrayList<>();
                for (int i = 0; i < m.chunks().size(); i++) {
                    int index = i;
                    tasks.add(exec.submit(() -> {
                        ChunkManifest.Chunk c = m.chunks().get(index);
                        String what = "chunk " + index + " (" + c.sha256() + ")";
                        inFlight.acquire();
                        try {
                            long t0 = clock.now();
                            byte[] compressed = source.read(index);
                            clock.record(StageClock.Stage.FETCH, t0, clock.now());
                            byte[] raw;
                            decompress.acquire();
                            try {
                                long t1 = clock.now();
                                verifyChunk(c.sha256(), compressed);
                                raw = m.codec().decompress(compressed, c.rawSize(), what);
                                clock.record(StageClock.Stage.DECOMPRESS, t1, clock.now());
                            } finally {
                                decompress.release();
                            }
                            if (keep) {
                                long t2 = clock.now();
                                writeChunk(c.sha256(), compressed);
                                clock.record(StageClock.Stage.FETCH, t2, clock.now());
                            }
                            // writing files is mostly waiting on the file system: more writers than cores pay off
                            unpack.acquire();
                            try {
                                long t3 = clock.now();
                                PackageArchive.unpack(raw, what, u);
                                clock.record(StageClock.Stage.UNPACK, t3, clock.now());
                            } finally {
                                unpack.release();
                            }
                        } finally {
                            inFlight.release();
                        }
                        return null;
                    }));
                }
                for (Future<?> t : tasks) {
                    try {
                        t.get();
                    } catch (ExecutionException e) {
                        exec.shutdownNow();
                        Throwable cause = e.getCause();
                        if (cause instanceof ArtifactException ae) {
                            throw ae;
                        }
                        if (cause instanceof IOException io) {
                            throw io;
                        }
                        throw new ArtifactException(500, "cannot unpack package " + m.digest() + ": " + cause, cause);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ArtifactException(500, "interrupted while unpacking " + m.digest(), e);
            }
            long t4 = clock.now();
            TreeMap<String, String> hashes = u.finish();
            String actual = digestOf(hashes);
            if (!actual.equals(m.digest())) {
                throw new ArtifactException(400, "the chunks of package " + m.digest() + " unpack to content with digest "
                        + actual + "; the manifest or a chunk does not belong to this package");
            }
            if (hashes.size() != m.files()) {
                throw new ArtifactException(400, "the manifest of " + m.digest() + " declares " + m.files()
                        + " files but its chunks hold " + hashes.size());
            }
            writeAtomically(manifests.resolve(hex(m.digest()) + ".json"), json);
            Artifact a = commit(stage, m.digest(), hashes.size(), u.bytes.get(), Optional.of(m.codec()), prepare, true);
            clock.record(StageClock.Stage.UNPACK, t4, clock.now());
            return a;
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot store package " + m.digest() + ": " + e.getMessage(), e);
        } finally {
            quietDelete(stage);
        }
    }

    // ---- the LRU cache ---------------------------------------------------------------------------------

    private void loadCache() throws IOException {
        try (var s = Files.list(code)) {
            for (Path d : s.toList()) {
                account(d.getFileName().toString(), -1);
            }
        }
    }

    /**
     * Records the size of a stored package (code dir plus its chunks) and marks it used now; {@code codeBytes}
     * when known (no preparation step added files), else measured by walking the directory.
     */
    private void account(String h, long codeBytes) {
        long size = Math.max(0, codeBytes);
        List<String> own = List.of();
        if (codeBytes < 0) {
            try (var s = Files.walk(code.resolve(h))) {
                size += s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
            } catch (IOException | java.io.UncheckedIOException ignored) {
                // counted as far as it could be read
            }
        }
        Path mf = manifests.resolve(h + ".json");
        if (Files.exists(mf)) {
            try {
                ChunkManifest m = ChunkManifest.parse(Files.readAllBytes(mf));
                own = m.chunks().stream().map(ChunkManifest.Chunk::sha256).distinct().toList();
                size += m.compressedBytes();
            } catch (IOException | ArtifactException ignored) {
                // a damaged manifest: the package is still usable here, only not servable
            }
        }
        cache.put(h, size, own);
    }

    /** The digests ({@code sha256:<hex>}) of the packages unpacked on this node, from memory (no disk access). */
    public Set<String> digests() {
        Set<String> out = new java.util.HashSet<>();
        for (String h : cache.hexes()) {
            out.add("sha256:" + h);
        }
        return out;
    }

    /** Bytes of unpacked code and chunks the cache accounts for. */
    public long cachedBytes() {
        return cache.total();
    }

    /** Removes least recently used packages not pinned and not {@code keep} until the cache fits its bound. */
    private void evict(String keep) {
        Set<String> given = pinned.get();
        if (given == PIN_ALL) {
            return;
        }
        Set<String> pins = new java.util.HashSet<>();
        for (String d : given) {
            pins.add(d.startsWith("sha256:") ? d.substring(7) : d);
        }
        pins.add(keep);
        for (ArtifactCache.Victim v : cache.evict(cacheBytes, pins)) {
            try {
                Path dir = code.resolve(v.hex());
                Path trash = staging.resolve("evict-" + UUID.randomUUID());
                Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
                quietDelete(trash);
                Files.deleteIfExists(manifests.resolve(v.hex() + ".json"));
                for (String c : v.orphanChunks()) {
                    Files.deleteIfExists(chunks.resolve(c));
                }
            } catch (IOException e) {
                // left on disk; a later eviction or restart accounts for it again
            }
        }
    }

    /** Normalises a zip entry name and refuses absolute paths and '..'. */
    static String safeName(String name) {
        String n = name.replace('\\', '/');
        if (n.startsWith("/") || n.matches("^[A-Za-z]:.*") || n.contains("\0")) {
            throw new ArtifactException(400, "package entry '" + name + "' is an absolute path; use paths relative to the function's directory");
        }
        for (String part : n.split("/")) {
            if (part.equals("..")) {
                throw new ArtifactException(400, "package entry '" + name + "' points outside the package; use relative paths without '..'");
            }
        }
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
    }

    private static Path realPath(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            throw new ArtifactException(400, "code directory " + dir + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** sha256 over the sorted (path, file hash) list: independent of archive order and timestamps. */
    static String digestOf(TreeMap<String, String> hashes) {
        MessageDigest md = sha256();
        hashes.forEach((path, h) -> {
            md.update(path.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(h.getBytes(StandardCharsets.US_ASCII));
            md.update((byte) '\n');
        });
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    static String hashFile(Path f) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String hex(String digest) {
        if (!digest.matches("sha256:[0-9a-f]{64}")) {
            throw new ArtifactException(400, "'" + digest + "' is not a package digest; expected sha256:<64 hex digits>");
        }
        return digest.substring(7);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void quietDelete(Path p) {
        try {
            deleteTree(p);
        } catch (IOException ignored) {
            // staging is cleaned again at the next start
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
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
