package dev.nest.artifact;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Unpacks the chunks of one package into a staging directory, in parallel on virtual threads: each chunk is read
 * (from this node's chunks or a peer; the {@link ChunkSource} checks its sha256 before anything else uses its bytes),
 * decompressed with its own codec ({@link ChunkManifest#codecOf}) into a buffer reused across the package's chunks
 * (direct by default, see {@link #allocate}; a stored chunk is written from its received bytes; at most {@code cpu}
 * decompressing at once), optionally kept in the node's chunk store, and unpacked (at most
 * {@code unpackParallelism} at once) as soon as it is read. At most {@code fetchParallelism}
 * {@code + unpackParallelism + cpu} chunks are held in memory at once, whatever the package's size (plus what the
 * {@link ChunkCacheWriter} holds, which it bounds). With {@code platformWriters} the files are written by a pool of
 * {@code unpackParallelism} platform threads made for the fetch: file I/O on a virtual thread blocks its carrier and
 * makes the scheduler compensate, which costs on every write. A chunk of at most {@code directMaxFiles} records (a
 * large file's part) is written by its fetching thread all the same: a few system calls cost less than the hand-over.
 * With {@code platformFetchers} each chunk's read, decompression and direct write run on a pool of platform threads
 * made for the fetch (at most as many as chunks held) instead of a virtual thread per chunk; the pool stops with the
 * unpack, as the writers do.
 *
 * <p>Failure: the first chunk that fails stops the others and its {@link ArtifactException} (or
 * {@link IOException}) is thrown; what was unpacked stays in the stage, which the caller deletes. Limits: those of
 * {@link PackageLimits}, enforced across chunks by {@link PackageArchive.Unpacked}.
 */
final class ChunkUnpacker {
    /**
     * Reads chunk {@code index} of a manifest from wherever it comes from and returns its bytes only once they hash to
     * the chunk's sha256 (throws {@link ArtifactException} 400 otherwise): the unpacker does not check them again.
     */
    interface ChunkSource {
        byte[] read(int index) throws IOException, InterruptedException;
    }

    private final int unpackParallelism;
    private final boolean platformWriters;
    private final int directMaxFiles;
    private final boolean platformFetchers;
    private final boolean directBuffers;
    private final int fetchParallelism;

    ChunkUnpacker(int unpackParallelism, boolean platformWriters, int directMaxFiles) {
        this(unpackParallelism, platformWriters, directMaxFiles, ArtifactTuning.PLATFORM_FETCHERS, ArtifactTuning.DIRECT_BUFFERS,
                ArtifactStore.FETCH_PARALLELISM);
    }

    /** @param fetchParallelism the chunks the source reads at once (they are held while read) */
    ChunkUnpacker(int unpackParallelism, boolean platformWriters, int directMaxFiles, boolean platformFetchers,
                  boolean directBuffers, int fetchParallelism) {
        this.fetchParallelism = fetchParallelism;
        this.unpackParallelism = unpackParallelism;
        this.platformWriters = platformWriters;
        this.directMaxFiles = directMaxFiles;
        this.platformFetchers = platformFetchers;
        this.directBuffers = directBuffers;
    }

    /**
     * A buffer of {@code bytes} for one decompressed chunk: direct (the writes then need no copy into the JDK's
     * temporary direct buffer) unless {@code direct} is false or the JVM's direct memory is exhausted (then a heap one:
     * slower, never a failure).
     */
    static ByteBuffer allocate(int bytes, boolean direct) {
        if (direct) {
            try {
                return ByteBuffer.allocateDirect(bytes);
            } catch (OutOfMemoryError directMemoryFull) {
                // -XX:MaxDirectMemorySize reached: the heap path works the same, with one more copy per write
            }
        }
        return ByteBuffer.allocate(bytes);
    }

    /**
     * Refuses, before anything is fetched or written, a manifest whose declarations pass {@code limits}: more files
     * or bytes than allowed, or chunks declaring more uncompressed bytes than those files and their record headers
     * can take. What the chunks then really hold is counted against these declarations while unpacking.
     *
     * @throws ArtifactException 400 naming the declaration and the limit
     */
    static void checkDeclared(ChunkManifest m, PackageLimits limits) {
        if (m.bytes() > limits.maxBytes() || m.files() > limits.maxEntries()) {
            throw new ArtifactException(400, "the package unpacks to " + m.bytes() + " bytes in " + m.files()
                    + " files; the limits are " + limits.maxBytes() + " bytes and " + limits.maxEntries() + " entries");
        }
        long headers = (long) (m.files() + m.chunks().size()) * PackageArchive.MAX_RECORD_HEADER;
        if (m.rawBytes() > m.bytes() + headers) {
            throw new ArtifactException(400, "the manifest's chunks declare " + m.rawBytes() + " uncompressed bytes, more "
                    + "than its " + m.files() + " files of " + m.bytes() + " bytes can take; pack the package again");
        }
    }

    /**
     * Unpacks every chunk of {@code m} from {@code source} into {@code stage}; {@code keep}: hand each chunk to the
     * chunk cache (it came from a peer); {@code hashFiles}: hash every file for the content digest (false only for a
     * trusted manifest, see {@link ManifestTrust}). Records each chunk's stages on {@code clock}. Returns what was
     * unpacked, not yet finished.
     */
    PackageArchive.Unpacked unpack(ChunkManifest m, Path stage, PackageLimits limits, ChunkSource source,
                                   Optional<ChunkCacheWriter.Batch> keep, boolean hashFiles, int cpu, StageClock clock)
            throws IOException {
        checkDeclared(m, limits);
        PackageArchive.Unpacked u = new PackageArchive.Unpacked(stage, limits, m.bytes(), hashFiles);
        Semaphore decompress = new Semaphore(cpu);
        Semaphore unpack = new Semaphore(unpackParallelism);
        int held = fetchParallelism + unpackParallelism + cpu;
        Semaphore inFlight = new Semaphore(held);
        // the decompressed chunks' buffers, reused: at most one per chunk in flight instead of one per chunk (each is
        // a humongous allocation for the garbage collector at the default 4 MiB chunk size)
        int rawMax = m.chunks().stream().mapToInt(ChunkManifest.Chunk::rawSize).max().orElse(0);
        // direct ones by default, so that the writes need no copy into the JDK's temporary direct buffer; each is freed
        // with its ByteBuffer object after the fetch (no more than the heap arrays they replace)
        java.util.concurrent.BlockingQueue<ByteBuffer> buffers = new java.util.concurrent.ArrayBlockingQueue<>(held);
        ExecutorService writers = platformWriters ? Executors.newFixedThreadPool(unpackParallelism,
                Thread.ofPlatform().daemon().name("nest-unpack-", 0).factory()) : null;
        // a chunk task holds inFlight for all its work: more platform threads than chunks held would only wait
        try (ExecutorService exec = platformFetchers ? Executors.newFixedThreadPool(Math.min(held, Math.max(1, m.chunks().size())),
                Thread.ofPlatform().daemon().name("nest-fetch-", 0).factory()) : Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> tasks = new ArrayList<>();
            for (int i = 0; i < m.chunks().size(); i++) {
                int index = i;
                tasks.add(exec.submit(() -> {
                    ChunkManifest.Chunk c = m.chunks().get(index);
                    String what = "chunk " + index + " (" + c.sha256() + ")";
                    inFlight.acquire();
                    try {
                        long t0 = clock.now();
                        // the source checked the bytes against the chunk's sha256 (a peer's as they arrived)
                        byte[] compressed = source.read(index);
                        clock.record(StageClock.Stage.FETCH, t0, clock.now());
                        int rawSize = c.rawSize();
                        Codec codec = m.codecOf(c);
                        // a stored chunk is written from its received bytes: no buffer, no copy
                        ByteBuffer pooled = codec == Codec.STORED ? null : buffers.poll();
                        if (pooled == null && codec != Codec.STORED) {
                            pooled = allocate(rawMax, directBuffers);
                        }
                        ByteBuffer raw;
                        decompress.acquire();
                        try {
                            long t1 = clock.now();
                            raw = pooled == null || pooled.isDirect() ? codec.decompress(compressed, pooled, rawSize, what)
                                    : ByteBuffer.wrap(codec.decompress(compressed, pooled.array(), rawSize, what), 0, rawSize).slice();
                            clock.record(StageClock.Stage.DECOMPRESS, t1, clock.now());
                        } finally {
                            decompress.release();
                        }
                        if (keep.isPresent()) {
                            long t2 = clock.now();
                            keep.get().add(c.sha256(), compressed);
                            clock.record(StageClock.Stage.FETCH, t2, clock.now());
                        }
                        // writing files is mostly waiting on the file system: more writers than cores pay off
                        // a chunk of a few large parts costs a few system calls: the hand-over would cost more
                        if (writers != null && PackageArchive.records(raw, directMaxFiles) > directMaxFiles) {
                            try {
                                writers.submit(() -> {
                                    long t3 = clock.now();
                                    PackageArchive.unpack(raw, what, u);
                                    clock.record(StageClock.Stage.UNPACK, t3, clock.now());
                                    return null;
                                }).get();
                            } catch (ExecutionException ee) {
                                throw ee.getCause() instanceof Exception cause ? cause : ee;
                            }
                        } else {
                            unpack.acquire();
                            try {
                                long t3 = clock.now();
                                PackageArchive.unpack(raw, what, u);
                                clock.record(StageClock.Stage.UNPACK, t3, clock.now());
                            } finally {
                                unpack.release();
                            }
                        }
                        // only after its files were written (a failed or interrupted chunk drops its buffer instead)
                        if (pooled != null) {
                            buffers.offer(pooled);
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
                    Throwable cause = e.getCause() instanceof ExecutionException inner ? inner.getCause() : e.getCause();
                    if (cause instanceof ArtifactException ae) {
                        throw ae;
                    }
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    throw new ArtifactException(500, "cannot unpack package " + m.digest() + ": "
                            + ArtifactStore.withoutPaths(cause, stage.getParent().getParent()), cause);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArtifactException(500, "interrupted while unpacking " + m.digest(), e);
        } finally {
            if (writers != null) {
                writers.shutdownNow();
                try {
                    // the caller deletes the stage next: no writer may still be in it
                    writers.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        return u;
    }
}
