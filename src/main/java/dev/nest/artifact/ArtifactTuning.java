package dev.nest.artifact;

/**
 * How the store writes fetched packages (what pays off depends on the file system and the cores).
 *
 * @param unpackParallelism      chunks whose files are written at once (at least 1)
 * @param chunkCachePendingBytes fetched chunks held in memory until the package is committed and then written to
 *                               the chunk cache in the background; beyond it (and with 0) a chunk is written by
 *                               the fetching thread (bounded, never dropped)
 * @param platformWriters        write files on platform threads (true) or on the fetch's virtual threads
 * @param blockingHttp           read chunks from peers with {@code HttpURLConnection} (true, the default: half the
 *                               CPU and time of the HttpClient on large chunks, ADR 0027) or the JDK HttpClient
 * @param directMaxFiles         with {@code platformWriters}, a chunk holding at most this many files (or parts of
 *                               files: a large file's chunk holds one) is still written by its fetching thread, with
 *                               no hand-over to the writer pool; 0 hands every chunk over
 * @param platformFetchers       run each chunk's read, decompression and (direct) write on a pool of platform threads
 *                               made for the fetch (as many as chunks it may hold at once) instead of one virtual
 *                               thread per chunk: a blocked socket read or file write then wakes its own thread,
 *                               with no poller and no carrier hand-off in between
 * @param directBuffers          decompress each chunk into a direct buffer reused within the fetch and write the files
 *                               from it (true, the default): no copy of every byte into the JDK's temporary direct
 *                               buffer on each write; false decompresses into heap arrays, as before
 * @param fetchParallelism       chunks one fetch downloads from a peer at once (1 to 64; default
 *                               {@link ArtifactStore#FETCH_PARALLELISM}): more hide more of each request's round trip,
 *                               each holds one more chunk in memory
 * @param reuseBodies            receive chunk bodies into arrays kept from earlier fetches once the chunk cache has
 *                               written them (true, the default; {@link ChunkBodies}, at most
 *                               {@code chunkCachePendingBytes} kept): no fresh heap to fault in and zero for every
 *                               body; false allocates every body anew, as before
 */
public record ArtifactTuning(int unpackParallelism, long chunkCachePendingBytes, boolean platformWriters,
                             boolean blockingHttp, int directMaxFiles, boolean platformFetchers, boolean directBuffers,
                             int fetchParallelism, boolean reuseBodies) {
    /** @throws ArtifactException 500 when {@code fetchParallelism} is out of range */
    public ArtifactTuning {
        if (fetchParallelism < 1 || fetchParallelism > 64) {
            throw new ArtifactException(500, "fetch parallelism " + fetchParallelism + " is out of range; use 1 to 64");
        }
    }

    /** The eight first settings, with {@link #REUSE_BODIES}. */
    public ArtifactTuning(int unpackParallelism, long chunkCachePendingBytes, boolean platformWriters, boolean blockingHttp,
                          int directMaxFiles, boolean platformFetchers, boolean directBuffers, int fetchParallelism) {
        this(unpackParallelism, chunkCachePendingBytes, platformWriters, blockingHttp, directMaxFiles, platformFetchers,
                directBuffers, fetchParallelism, REUSE_BODIES);
    }

    /** The seven first settings, with {@link ArtifactStore#FETCH_PARALLELISM}. */
    public ArtifactTuning(int unpackParallelism, long chunkCachePendingBytes, boolean platformWriters, boolean blockingHttp,
                          int directMaxFiles, boolean platformFetchers, boolean directBuffers) {
        this(unpackParallelism, chunkCachePendingBytes, platformWriters, blockingHttp, directMaxFiles, platformFetchers,
                directBuffers, ArtifactStore.FETCH_PARALLELISM);
    }

    /** Chunks of at most this many files are written by their fetching thread by default. */
    public static final int DIRECT_MAX_FILES = 4;
    /** Whether chunks are fetched on platform threads by default. */
    public static final boolean PLATFORM_FETCHERS = false;
    /** Whether chunks are decompressed into direct buffers by default. */
    public static final boolean DIRECT_BUFFERS = true;
    /** Whether the arrays of received chunk bodies are reused across fetches by default ({@link ChunkBodies}). */
    public static final boolean REUSE_BODIES = true;

    /**
     * The defaults: {@link ArtifactStore#UNPACK_PARALLELISM} writers on platform threads for chunks of many files,
     * {@link #DIRECT_MAX_FILES}, {@link ArtifactStore#CHUNK_CACHE_PENDING_BYTES}, chunks read with
     * {@code HttpURLConnection}.
     */
    public static final ArtifactTuning DEFAULT = new ArtifactTuning(ArtifactStore.UNPACK_PARALLELISM,
            ArtifactStore.CHUNK_CACHE_PENDING_BYTES, true, true, DIRECT_MAX_FILES, PLATFORM_FETCHERS, DIRECT_BUFFERS,
            ArtifactStore.FETCH_PARALLELISM, REUSE_BODIES);

    /** The six first settings, with the default {@code directBuffers}. */
    public ArtifactTuning(int unpackParallelism, long chunkCachePendingBytes, boolean platformWriters, boolean blockingHttp,
                          int directMaxFiles, boolean platformFetchers) {
        this(unpackParallelism, chunkCachePendingBytes, platformWriters, blockingHttp, directMaxFiles, platformFetchers, DIRECT_BUFFERS);
    }

    /** The five first settings, with the default {@code platformFetchers}. */
    public ArtifactTuning(int unpackParallelism, long chunkCachePendingBytes, boolean platformWriters, boolean blockingHttp,
                          int directMaxFiles) {
        this(unpackParallelism, chunkCachePendingBytes, platformWriters, blockingHttp, directMaxFiles, PLATFORM_FETCHERS);
    }

    /** The four first settings, with {@link #DIRECT_MAX_FILES}. */
    public ArtifactTuning(int unpackParallelism, long chunkCachePendingBytes, boolean platformWriters, boolean blockingHttp) {
        this(unpackParallelism, chunkCachePendingBytes, platformWriters, blockingHttp, DIRECT_MAX_FILES);
    }

    /** The defaults with {@code n} writers. */
    public static ArtifactTuning withWriters(int n) {
        return new ArtifactTuning(n, ArtifactStore.CHUNK_CACHE_PENDING_BYTES, true, true, DIRECT_MAX_FILES, PLATFORM_FETCHERS,
                DIRECT_BUFFERS);
    }
}
