package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The node's package store under {@code <data>/artifacts}: {@code code/<hex>/} holds each package unpacked,
 * named by its content digest, so that every instance of the same content shares one read-only directory and
 * a redeploy or rollback of known content costs no copy.
 *
 * <p>Ingesting unpacks into {@code staging/} first, runs the caller's preparation step there (for example
 * compiling Java sources), and only then moves the result into place atomically; a failed ingest leaves
 * nothing behind. Unpacking refuses entries that would escape the directory, links and special files, and stops
 * at {@link PackageLimits} and at the sizes a package declares. Errors name the package's entries, never this
 * node's paths. Thread-safe: concurrent ingests of the same content converge on one directory.
 *
 * <p>This class is the store's API; the work is done by package-private parts: {@link ZipUnpacker} (a zip upload
 * and its limits, judged first by {@link ZipDirectory}), {@link ChunkStore} (chunks and manifests on disk), {@link ChunkUnpacker} (the parallel unpacking
 * of chunks), {@link PeerClient} (the peer fetch over HTTP) and {@link CodeCache} (the LRU bound on disk).
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
    private final PackageLimits limits;
    private final ChunkStore chunks;
    private final CodeCache cache;
    private final ChunkUnpacker unpacker;
    private final PeerClient peers;
    private final int cpus = Math.max(1, Runtime.getRuntime().availableProcessors());

    public ArtifactStore(Path root, PackageLimits limits) {
        this(root, limits, DEFAULT_CACHE_BYTES, Set::of);
    }

    /**
     * @param cacheBytes the LRU bound on unpacked code plus chunks; least recently used packages beyond it are
     *                   removed after each new package, except those {@code pinned} names ({@code sha256:<hex>}
     *                   digests in use by instances on this node; called after each commit, from the committing
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
        this(root, limits, cacheBytes, pinned, unpackParallelism, java.util.Map::of);
    }

    /**
     * {@link #ArtifactStore(Path, PackageLimits, long, Supplier, int)} sending {@code peerHeaders} (the cluster's
     * peer credential) with every fetch from a peer.
     */
    public ArtifactStore(Path root, PackageLimits limits, long cacheBytes, Supplier<Set<String>> pinned, int unpackParallelism,
                         Supplier<java.util.Map<String, String>> peerHeaders) {
        this(root, limits, cacheBytes, pinned, unpackParallelism, peerHeaders, java.util.Optional.empty());
    }

    /**
     * {@link #ArtifactStore(Path, PackageLimits, long, Supplier, int, Supplier)} verifying peers' {@code https} URLs
     * with {@code peerTls} (the public port's TLS, {@code server.tls}).
     */
    public ArtifactStore(Path root, PackageLimits limits, long cacheBytes, Supplier<Set<String>> pinned, int unpackParallelism,
                         Supplier<java.util.Map<String, String>> peerHeaders,
                         java.util.Optional<javax.net.ssl.SSLContext> peerTls) {
        this.peers = new PeerClient(peerHeaders, peerTls);
        if (unpackParallelism < 1) {
            throw new ArtifactException(500, "unpack parallelism " + unpackParallelism + " is out of range; use 1 or more");
        }
        this.code = root.resolve("code");
        this.staging = root.resolve("staging");
        this.limits = limits;
        try {
            Files.createDirectories(code);
            Files.createDirectories(staging);
            this.chunks = new ChunkStore(root.resolve("chunks"), root.resolve("manifests"), staging);
            this.cache = new CodeCache(code, staging, chunks, cacheBytes, pinned);
            this.unpacker = new ChunkUnpacker(chunks, unpackParallelism);
            cleanStaging();
            cache.load();
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
            ZipUnpacker.Unzipped u = ZipUnpacker.unpack(zip, stage, spooled, limits);
            return commit(stage, Digests.digestOf(u.hashes()), u.hashes().size(), u.bytes(), codec, prepare);
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot store the package: " + withoutPaths(e), e);
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
        Map<String, PackageArchive.Source> files = new TreeMap<>();
        long[] total = {0};
        try {
            // links are handled as the packer handles them: inside packed as what they point to, outside refused
            for (PackageArchive.Source f : PackageArchive.list(root, p -> true)) {
                total[0] += f.size();
                if (files.size() >= limits.maxEntries() || total[0] > limits.maxBytes()) {
                    throw new ArtifactException(400, "code directory " + root + " holds more than "
                            + limits.maxEntries() + " files or " + limits.maxBytes() + " bytes");
                }
                files.put(f.path(), f);
            }
            TreeMap<String, String> hashes = new TreeMap<>();
            for (var e : files.entrySet()) {
                hashes.put(e.getKey(), Digests.hashFile(e.getValue().file()));
            }
            if (hashes.isEmpty()) {
                throw new ArtifactException(400, "code directory " + root + " is empty");
            }
            String digest = Digests.digestOf(hashes);
            Optional<Artifact> existing = find(digest);
            if (existing.isPresent()) {
                return new Artifact(digest, hashes.size(), total[0], existing.get().codeDir());
            }
            Path stage = staging.resolve(UUID.randomUUID().toString());
            try {
                for (var e : files.entrySet()) {
                    Path t = stage.resolve(e.getKey());
                    Files.createDirectories(t.getParent());
                    try (InputStream in = PackageArchive.open(e.getValue())) {
                        Files.copy(in, t);
                    }
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
        if (!Files.exists(chunks.manifestFile(hex(digest)))) {
            // zip and directory ingests are stored as chunks too, so that peers can fetch them
            chunks.writeChunks(stage, codec, ChunkManifest.DEFAULT_CHUNK_BYTES);
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
            throw new ArtifactException(500, "the artifact directory must be on one file system: " + withoutPaths(e), e);
        }
        cache.account(hex(digest), prepare == NO_PREPARE ? bytes : -1);
        cache.evict(hex(digest));
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

    /** Whether the compressed chunk {@code sha256} (hex) is stored here. */
    public boolean hasChunk(String sha256) {
        return chunks.has(sha256);
    }

    /** The file of the compressed chunk {@code sha256} (hex), to serve to peers. */
    public Optional<Path> chunk(String sha256) {
        return chunks.chunk(sha256);
    }

    /** The manifest JSON of package {@code digest}, to serve to peers. */
    public Optional<byte[]> manifest(String digest) {
        return chunks.manifest(digest);
    }

    /**
     * Stores one uploaded compressed chunk after checking that its bytes hash to {@code sha256}.
     *
     * @throws ArtifactException 400 when the body is larger than a chunk may be or does not match its digest
     */
    public void putChunk(String sha256, InputStream body) {
        chunks.put(sha256, body);
    }

    /**
     * Packs {@code dir} into chunks (see {@link ChunkedPackage}) and stores it like an upload of those chunks
     * and their manifest. For tests and benchmarks, and for local tools.
     */
    public Artifact ingestChunked(Path dir, Codec codec, int chunkSize, Consumer<Path> prepare) {
        try {
            ChunkManifest m = ChunkedPackage.write(dir, p -> true, Optional.of(codec), chunkSize, chunks::writeChunk);
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
        List<String> missing = chunks.missing(m);
        if (!missing.isEmpty()) {
            throw new ArtifactException(400, missing.size() + " chunk(s) of package " + m.digest() + " are not uploaded: "
                    + String.join(", ", missing.subList(0, Math.min(10, missing.size())))
                    + (missing.size() > 10 ? ", ..." : "") + "; PUT them to /api/v1/artifacts/chunks/{sha256} first");
        }
        return materialize(m, json, i -> chunks.read(m.chunks().get(i).sha256()), false, cpus, prepare,
                new StageClock(System::nanoTime));
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
        byte[] json = peers.get(base + "/manifests/" + digest, "the manifest of " + digest, 64L << 20);
        clock.record(StageClock.Stage.FETCH, t0, clock.now());
        ChunkManifest m = ChunkManifest.parse(json);
        if (!m.digest().equals("sha256:" + h)) {
            throw new ArtifactException(502, "peer " + peerBaseUrl + " answered with the manifest of " + m.digest() + ", not " + digest);
        }
        Semaphore net = new Semaphore(FETCH_PARALLELISM);
        Artifact a = materialize(m, json, i -> {
            String sha = m.chunks().get(i).sha256();
            Path local = chunks.chunkFile(sha);
            if (Files.exists(local)) {
                return Files.readAllBytes(local);
            }
            net.acquire();
            try {
                return peers.get(base + "/chunks/" + sha, "chunk " + sha, m.chunks().get(i).size());
            } finally {
                net.release();
            }
        }, true, cpus, prepare, clock);
        return new Fetched(a, Optional.of(clock.times()));
    }

    /**
     * Unpacks every chunk into a new stage ({@link ChunkUnpacker}: in parallel, at most {@code cpu} chunks
     * decompressing at once; {@code keep}: store each chunk, it came from a peer), then checks the content digest,
     * writes the manifest and commits. Records each chunk's stages on {@code clock}.
     */
    private Artifact materialize(ChunkManifest m, byte[] json, ChunkUnpacker.ChunkSource source, boolean keep, int cpu,
                                 Consumer<Path> prepare, StageClock clock) {
        ChunkUnpacker.checkDeclared(m, limits);
        Path stage = staging.resolve(UUID.randomUUID().toString());
        try {
            Files.createDirectories(stage);
            PackageArchive.Unpacked u = unpacker.unpack(m, stage, limits, source, keep, cpu, clock);
            long t4 = clock.now();
            TreeMap<String, String> hashes = u.finish();
            String actual = Digests.digestOf(hashes);
            if (!actual.equals(m.digest())) {
                throw new ArtifactException(400, "the chunks of package " + m.digest() + " unpack to content with digest "
                        + actual + "; the manifest or a chunk does not belong to this package");
            }
            if (hashes.size() != m.files()) {
                throw new ArtifactException(400, "the manifest of " + m.digest() + " declares " + m.files()
                        + " files but its chunks hold " + hashes.size());
            }
            chunks.writeManifest(m.digest(), json);
            Artifact a = commit(stage, m.digest(), hashes.size(), u.bytes.get(), Optional.of(m.codec()), prepare, true);
            clock.record(StageClock.Stage.UNPACK, t4, clock.now());
            return a;
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot store package " + m.digest() + ": " + withoutPaths(e), e);
        } finally {
            quietDelete(stage);
        }
    }

    // ---- the LRU cache ---------------------------------------------------------------------------------

    /** The digests ({@code sha256:<hex>}) of the packages unpacked on this node, from memory (no disk access). */
    public Set<String> digests() {
        return cache.digests();
    }

    /** Bytes of unpacked code and chunks the cache accounts for. */
    public long cachedBytes() {
        return cache.bytes();
    }

    /**
     * An I/O error's message without this store's paths (errors go back to API callers, who must not learn the
     * server's layout): a staged file is named by its path in the package, anything else under the store by
     * {@code <artifacts>/...}.
     */
    private String withoutPaths(Exception e) {
        return withoutPaths(e, code.getParent());
    }

    /** {@link #withoutPaths(Exception)} for the store under {@code root}. */
    static String withoutPaths(Throwable e, Path root) {
        String m = e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null
                ? fse.getFile() + (fse.getOtherFile() == null ? "" : " -> " + fse.getOtherFile()) + ": " + fse.getReason()
                : e instanceof IOException ? String.valueOf(e.getMessage()) : e.toString();
        for (String r : java.util.List.of(realOr(root), root.toAbsolutePath().toString(), root.toString())) {
            m = m.replace(r + "/staging/", "<stage>/").replace(r, "<artifacts>");
        }
        return m.replaceAll("<stage>/[0-9a-f-]{36}(\\.zip)?/?", "").replaceAll("<stage>/", "<artifacts>/staging/");
    }

    private static String realOr(Path p) {
        try {
            return p.toRealPath().toString();
        } catch (IOException e) {
            return p.toString();
        }
    }

    private static Path realPath(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            throw new ArtifactException(400, "code directory " + dir + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static String hex(String digest) {
        return Digests.hex(digest);
    }

    static void quietDelete(Path p) {
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
