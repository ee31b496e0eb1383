package dev.nest.artifact;

/**
 * How the store writes fetched packages (what pays off depends on the file system and the cores).
 *
 * @param unpackParallelism      chunks whose files are written at once (at least 1)
 * @param chunkCachePendingBytes fetched chunks held in memory until the package is committed and then written to
 *                               the chunk cache in the background; beyond it (and with 0) a chunk is written by
 *                               the fetching thread (bounded, never dropped)
 * @param platformWriters        write files on platform threads (true) or on the fetch's virtual threads
 * @param blockingHttp           read chunks from peers with {@code HttpURLConnection} (true) or the JDK HttpClient
 */
public record ArtifactTuning(int unpackParallelism, long chunkCachePendingBytes, boolean platformWriters,
                             boolean blockingHttp) {
    /** The defaults: {@link ArtifactStore#UNPACK_PARALLELISM} writers on platform threads, {@link ArtifactStore#CHUNK_CACHE_PENDING_BYTES}. */
    public static final ArtifactTuning DEFAULT = new ArtifactTuning(ArtifactStore.UNPACK_PARALLELISM,
            ArtifactStore.CHUNK_CACHE_PENDING_BYTES, true, false);

    /** The defaults with {@code n} writers. */
    public static ArtifactTuning withWriters(int n) {
        return new ArtifactTuning(n, ArtifactStore.CHUNK_CACHE_PENDING_BYTES, true, false);
    }
}
