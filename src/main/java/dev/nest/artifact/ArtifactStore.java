package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
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
import static dev.nest.artifact.Digests.hex;

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
 * of chunks), {@link PeerClient} (the peer fetch over HTTP), {@link ManifestTrust} (whether a fetched manifest is
 * the one the cluster recorded, so that only chunks are checked), {@link ChunkCacheWriter} (fetched chunks written
 * to the chunk cache after the commit, in the background) and {@link CodeCache} (the LRU bound on disk). Closing the
 * store waits for the chunk-cache writes already handed to the background.
 */
public final class ArtifactStore implements AutoCloseable {
    /** The default size of the node's package cache (unpacked code plus chunks). */
    public static final long DEFAULT_CACHE_BYTES = 10L << 30;
    /** A pin set that pins every package (while what is in use is not known yet, nothing may be evicted). */
    public static final Set<String> PIN_ALL = java.util.Collections.unmodifiableSet(new java.util.HashSet<>());
    /** How many chunks one fetch downloads at a time from a peer, by default. */
    public static final int FETCH_PARALLELISM = 4;
    /**
     * How many chunks are written to disk at once by default: file creation waits on the file system more than on a
     * core, so more writers than cores pay off.
     */
    public static final int UNPACK_PARALLELISM = 8;
    /** The most bytes of fetched chunks held in memory for the background chunk-cache writer, by default. */
    public static final long CHUNK_CACHE_PENDING_BYTES = 256L << 20;

    /** The preparation step that does nothing (a peer fetch): the unpacked files are already read-only. */
    private static final Consumer<Path> NO_PREPARE = p -> { };
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ArtifactStore.class.getName());

    private final Path root;
    private final Path code;
    private final Path staging;
    private final PackageLimits limits;
    private final ChunkStore chunks;
    private final CodeCache cache;
    private final ChunkUnpacker unpacker;
    private final PeerClient peers;
    private final ChunkCacheWriter cacheWriter;
    private final java.util.concurrent.ExecutorService cacheExecutor;
    private final int cpus = Math.max(1, Runtime.getRuntime().availableProcessors());
    private final int fetchParallelism;
    private final ChunkBodies bodies;

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
        this(root, limits, cacheBytes, pinned, ArtifactTuning.withWriters(unpackParallelism), java.util.Map::of, Optional.empty());
    }

    /** {@link #ArtifactStore(Path, PackageLimits, long, Supplier, int)} sending {@code peerHeaders} (the peer credential). */
    public ArtifactStore(Path root, PackageLimits limits, long cacheBytes, Supplier<Set<String>> pinned, int unpackParallelism,
                         Supplier<java.util.Map<String, String>> peerHeaders) {
        this(root, limits, cacheBytes, pinned, ArtifactTuning.withWriters(unpackParallelism), peerHeaders, java.util.Optional.empty());
    }

    /** The store with every setting of {@code tuning}, no peer credential and no peer TLS. */
    public ArtifactStore(Path root, PackageLimits limits, long cacheBytes, Supplier<Set<String>> pinned, ArtifactTuning tuning) {
        this(root, limits, cacheBytes, pinned, tuning, java.util.Map::of, Optional.empty());
    }

    /**
     * {@link #ArtifactStore(Path, PackageLimits, long, Supplier, int, Supplier)} verifying peers' {@code https} URLs
     * with {@code peerTls} (the public port's TLS, {@code server.tls}).
     */
    public ArtifactStore(Path root, PackageLimits limits, long cacheBytes, Supplier<Set<String>> pinned, int unpackParallelism,
                         Supplier<java.util.Map<String, String>> peerHeaders,
                         java.util.Optional<javax.net.ssl.SSLContext> peerTls) {
        this(root, limits, cacheBytes, pinned, ArtifactTuning.withWriters(unpackParallelism), peerHeaders, peerTls);
    }

    /**
     * The full constructor: {@code tuning} sets how fetched packages are written.
     *
     * @throws ArtifactException 500 when a setting of {@code tuning} is out of range
     */
    public ArtifactStore(Path root, PackageLimits limits, long cacheBytes, Supplier<Set<String>> pinned, ArtifactTuning tuning,
                         Supplier<java.util.Map<String, String>> peerHeaders,
                         java.util.Optional<javax.net.ssl.SSLContext> peerTls) {
        // received chunk bodies are reused across fetches, and across the stores of this process (one heap)
        this.bodies = tuning.reuseBodies() ? ChunkBodies.SHARED : new ChunkBodies(0);
        this.peers = new PeerClient(peerHeaders, peerTls, tuning.blockingHttp(), bodies::take);
        this.fetchParallelism = tuning.fetchParallelism();
        if (tuning.unpackParallelism() < 1) {
            throw new ArtifactException(500, "unpack parallelism " + tuning.unpackParallelism() + " is out of range; use 1 or more");
        }
        if (tuning.chunkCachePendingBytes() < 0) {
            throw new ArtifactException(500, "chunk cache pending bytes " + tuning.chunkCachePendingBytes()
                    + " is out of range; use 0 (write chunks at once) or more");
        }
        this.code = root.resolve("code");
        this.staging = root.resolve("staging");
        this.limits = limits;
        try {
            Files.createDirectories(code);
            Files.createDirectories(staging);
            this.chunks = new ChunkStore(root.resolve("chunks"), root.resolve("manifests"), staging);
            this.cache = new CodeCache(code, staging, root.resolve("seals"), chunks, cacheBytes, pinned);
            this.unpacker = new ChunkUnpacker(tuning.unpackParallelism(), tuning.platformWriters(), tuning.directMaxFiles(),
                    tuning.platformFetchers(), tuning.directBuffers(), tuning.fetchParallelism());
            this.cacheExecutor = java.util.concurrent.Executors.newSingleThreadExecutor(
                    Thread.ofPlatform().daemon().name("nest-chunk-cache").factory());
            this.cacheWriter = new ChunkCacheWriter(chunks, cacheExecutor, tuning.chunkCachePendingBytes(), bodies::give);
            cleanStaging();
            this.root = root;
            cache.load(PackageCheck.begin(root));
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot create the artifact store in " + root + ": " + e.getMessage(), e);
        }
    }

    /** Decides the manifest format of the packages built or accepted from uploads here (default {@link PackageFormats#LOCAL}). */
    public void useFormats(PackageFormats.Source formats) {
        chunks.useFormats(formats);
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
            return commit(stage, Digests.digestOf(u.hashes()), u.hashes().keySet(), u.bytes(), codec, prepare);
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
                return commit(stage, digest, hashes.keySet(), total[0], Optional.empty(), prepare);
            } finally {
                quietDelete(stage);
            }
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot read code directory " + root + ": " + e.getMessage(), e);
        }
    }

    private Artifact commit(Path stage, String digest, Set<String> own, long bytes, Optional<Codec> codec, Consumer<Path> prepare)
            throws IOException {
        return commit(stage, digest, own, bytes, codec, prepare, false);
    }

    /**
     * Commits the stage holding the package files {@code own}; {@code chunked}: unpacked from chunks, so every file is
     * read-only already. A committed package gets its seal ({@link PackageSeal}) for the next start's check.
     */
    private Artifact commit(Path stage, String digest, Set<String> own, long bytes, Optional<Codec> codec, Consumer<Path> prepare,
                            boolean chunked) throws IOException {
        int files = own.size();
        Path target = code.resolve(hex(digest));
        if (Files.isDirectory(target)) {
            cache.touch(hex(digest));
            return new Artifact(digest, files, bytes, target);
        }
        if (!chunked && !Files.exists(chunks.manifestFile(hex(digest)))) {
            // zip and directory ingests are stored as chunks too, so that peers can fetch them
            chunks.writeChunks(stage, codec, ChunkManifest.DEFAULT_CHUNK_BYTES);
        }
        prepare.accept(stage);
        if (prepare != NO_PREPARE || !chunked) {
            PackageArchive.makeReadOnly(stage);
        }
        try {
            Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE);
            cache.seal(hex(digest), prepare == NO_PREPARE ? () -> PackageSeal.unprepared(digest, files, bytes)
                    : () -> PackageSeal.of(digest, target, own), cacheExecutor);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
            // another ingest of the same content won; its directory is equal
        } catch (AtomicMoveNotSupportedException e) {
            throw new ArtifactException(500, "the artifact directory must be on one file system: " + withoutPaths(e), e);
        }
        cache.account(hex(digest), prepare == NO_PREPARE ? bytes : -1);
        cache.evict(hex(digest));
        return new Artifact(digest, files, bytes, target);
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

    /**
     * The file of the compressed chunk {@code sha256} (hex), open for reading, to serve it to peers without a path:
     * empty when it is not stored here as a regular file (a symbolic link is not followed).
     *
     * @throws ArtifactException 400 when {@code sha256} is not 64 lowercase hex digits
     * @throws IOException       when it is there but cannot be opened
     */
    public Optional<FileChannel> openChunk(String sha256) throws IOException {
        return chunks.open(sha256);
    }

    /** The manifest JSON of package {@code digest}, to serve to peers. */
    public Optional<byte[]> manifest(String digest) {
        return chunks.manifest(digest);
    }

    /**
     * The sha256 (hex) of the manifest of package {@code digest} as this node stores it: what the node that verified
     * an upload records in the cluster, so that fetching nodes can trust that manifest (see {@link #fetch(String,
     * String, Optional, Consumer)}).
     */
    public Optional<String> manifestSha256(String digest) {
        return chunks.manifest(digest).map(ManifestTrust::sha256);
    }

    /**
     * Stores one uploaded compressed chunk after checking that its bytes hash to {@code sha256}.
     *
     * @throws ArtifactException 400 when the body is larger than a chunk may be or does not match its digest
     */
    public void putChunk(String sha256, InputStream body) {
        chunks.put(sha256, body);
    }

    /** Packs {@code dir} into {@code codec} chunks and stores it like an upload of them (tests, benchmarks, tools). */
    public Artifact ingestChunked(Path dir, Codec codec, int chunkSize, Consumer<Path> prepare) {
        return ingestChunked(dir, codec, ChunkCodecs.Policy.UNIFORM, chunkSize, prepare);
    }

    /** {@link #ingestChunked(Path, Codec, int, Consumer)} choosing each chunk's codec with {@code policy}. */
    public Artifact ingestChunked(Path dir, Codec codec, ChunkCodecs.Policy policy, int chunkSize, Consumer<Path> prepare) {
        try {
            ChunkManifest m = ChunkedPackage.write(dir, p -> true, Optional.of(codec), policy, chunkSize, chunks::writeChunk);
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
        ChunkManifest m = chunks.acceptable(json);
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
        return materialize(m, json, i -> chunks.readChecked(m.chunks().get(i).sha256()), Optional.empty(), false, cpus, prepare,
                new StageClock(System::nanoTime)).artifact();
    }

    /**
     * A package fetch's result: the stored package, how long each stage took when it had to be fetched (empty when
     * this node held it already), whether the manifest was trusted (each chunk checked, no file hashed), and
     * {@code cached}: completes once the fetched chunks and the manifest are in this node's chunk cache (then the node
     * can serve the package to peers) with {@code true}, or with {@code false} when they could not be written (logged).
     */
    public record Fetched(Artifact artifact, Optional<FetchStages> stages, boolean trusted,
                          java.util.concurrent.CompletableFuture<Boolean> cached) {
    }

    /** The package, fetched or not, and its chunk-cache completion (internal to the store). */
    private record Materialized(Artifact artifact, java.util.concurrent.CompletableFuture<Boolean> cached) {
    }

    /**
     * Fetches package {@code digest} from the peer at {@code peerBaseUrl} (its API root, e.g.
     * {@code http://10.0.0.2:8080}) unless this node has it: the manifest, then the chunks this node lacks,
     * {@link ArtifactTuning#fetchParallelism()} at a time, each verified, decompressed and unpacked as soon as it arrives.
     * The chunks are kept (written after the commit, see {@link Fetched#cached()}), so this node can serve the
     * package in turn. Measures the stages (see
     * {@link FetchStages}).
     *
     * @throws ArtifactException 502 when the peer cannot serve it, 400 when what it serves does not verify
     */
    public Fetched fetch(String digest, String peerBaseUrl) {
        return fetch(digest, peerBaseUrl, Optional.empty(), NO_PREPARE);
    }

    /** {@link #fetch(String, String)}, then {@code prepare} on the unpacked directory before it is committed. */
    public Fetched fetch(String digest, String peerBaseUrl, Consumer<Path> prepare) {
        return fetch(digest, peerBaseUrl, Optional.empty(), prepare);
    }

    /** {@link #fetch(String, String, Optional, Consumer)} with no preparation step (the files are already read-only). */
    public Fetched fetch(String digest, String peerBaseUrl, Optional<String> trustedManifestSha256) {
        return fetch(digest, peerBaseUrl, trustedManifestSha256, NO_PREPARE);
    }

    /**
     * {@link #fetch(String, String, Consumer)} given the manifest sha256 the cluster recorded for the package (empty
     * when none is): when the peer's manifest hashes to it, each chunk's sha256 is checked against the manifest and no
     * file is hashed; otherwise every file is hashed and the content digest recomputed ({@link ManifestTrust}). Either
     * way a chunk whose bytes differ from its digest fails the fetch (400), as does content that does not match.
     */
    public Fetched fetch(String digest, String peerBaseUrl, Optional<String> trustedManifestSha256, Consumer<Path> prepare) {
        String h = hex(digest);
        Optional<Artifact> existing = find(digest);
        if (existing.isPresent()) {
            return new Fetched(existing.get(), Optional.empty(), false,
                    java.util.concurrent.CompletableFuture.completedFuture(true));
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
        ManifestTrust.Decision trust = ManifestTrust.decide(trustedManifestSha256, json);
        if (trustedManifestSha256.isPresent() && trust.mode() != ManifestTrust.Mode.CHUNKS_ONLY) {
            LOG.warning("package " + digest + " from " + peerBaseUrl + ": " + trust.reason() + "; hashing every file");
        }
        Semaphore net = new Semaphore(fetchParallelism);
        Materialized a = materialize(m, json, i -> {
            String sha = m.chunks().get(i).sha256();
            Optional<byte[]> local = chunks.readVerified(sha);
            if (local.isPresent()) {
                return local.get();
            }
            net.acquire();
            try {
                return peers.getChunk(base + "/chunks/" + sha, "chunk " + sha, m.chunks().get(i).size(), sha);
            } finally {
                net.release();
            }
        }, Optional.of(cacheWriter.open(m.digest())), trust.mode() == ManifestTrust.Mode.CHUNKS_ONLY, cpus, prepare, clock);
        return new Fetched(a.artifact(), Optional.of(clock.times()), trust.mode() == ManifestTrust.Mode.CHUNKS_ONLY,
                a.cached());
    }

    /**
     * Unpacks every chunk into a new stage ({@link ChunkUnpacker}: in parallel, at most {@code cpu} chunks
     * decompressing at once; {@code keep}: the batch that keeps each chunk, it came from a peer), then checks the
     * content digest (unless {@code trusted}: the manifest is the one the cluster recorded, and every chunk was checked
     * against it), writes the manifest (after the commit, in the background, when {@code keep} is given) and commits;
     * records each chunk's stages on {@code clock}.
     */
    private Materialized materialize(ChunkManifest m, byte[] json, ChunkUnpacker.ChunkSource source,
                                     Optional<ChunkCacheWriter.Batch> keep, boolean trusted, int cpu,
                                     Consumer<Path> prepare, StageClock clock) {
        ChunkUnpacker.checkDeclared(m, limits);
        Path stage = staging.resolve(UUID.randomUUID().toString());
        boolean committed = false;
        try {
            Files.createDirectories(stage);
            PackageArchive.Unpacked u = unpacker.unpack(m, stage, limits, source, keep, !trusted, cpu, clock);
            long t4 = clock.now();
            TreeMap<String, String> hashes = u.finish();
            String actual = trusted ? m.digest() : Digests.digestOf(hashes);
            if (!actual.equals(m.digest())) {
                throw new ArtifactException(400, "the chunks of package " + m.digest() + " unpack to content with digest "
                        + actual + "; the manifest or a chunk does not belong to this package");
            }
            if (hashes.size() != m.files()) {
                throw new ArtifactException(400, "the manifest of " + m.digest() + " declares " + m.files()
                        + " files but its chunks hold " + hashes.size());
            }
            if (keep.isEmpty()) {
                chunks.writeManifest(m.digest(), json);
            }
            Artifact a = commit(stage, m.digest(), hashes.keySet(), u.bytes.get(), Optional.of(m.codec()), prepare, true);
            committed = true;
            clock.record(StageClock.Stage.UNPACK, t4, clock.now());
            if (keep.isEmpty()) {
                return new Materialized(a, java.util.concurrent.CompletableFuture.completedFuture(true));
            }
            String h = hex(m.digest());
            long codeBytes = prepare == NO_PREPARE ? a.bytes() : -1;
            return new Materialized(a, keep.get().commit(json, () -> {
                // the manifest exists now: account the package's chunks too
                cache.account(h, codeBytes);
                cache.evict(h);
            }));
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot store package " + m.digest() + ": " + withoutPaths(e), e);
        } finally {
            if (!committed) {
                keep.ifPresent(ChunkCacheWriter.Batch::abandon);
            }
            quietDelete(stage);
        }
    }

    /**
     * Finishes the chunk-cache writes already handed to the background (waits up to 60 s) and stops its thread; later
     * fetches write their chunks on the fetching thread. Idempotent.
     */
    @Override
    public void close() {
        cacheExecutor.shutdown();
        try {
            if (!cacheExecutor.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warning("the chunk cache writes did not finish within 60 s; the packages are unpacked, their chunks "
                        + "are written again when fetched again");
            } else {
                PackageCheck.end(root);
            }
        } catch (IOException e) {
            LOG.warning("cannot record the clean shutdown; the next start hashes every package: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
