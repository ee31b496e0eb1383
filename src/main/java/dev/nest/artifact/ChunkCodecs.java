package dev.nest.artifact;

/**
 * Which codec each chunk of a package is written with: pure decisions, made by the packer per chunk and recorded in
 * the manifest ({@link ChunkManifest.Chunk#codec()}), so a fetching node needs no rule of its own. Table-tested.
 *
 * <p>Why per chunk: in a package of large files most bytes sit in chunks that hold a part of one file, and those are
 * either incompressible (jars of deflated classes, images, fonts: compression saves nothing, decompression is one more
 * copy) or large text (bundles, source maps), which lz4 decompresses several times faster than zstd for a lower
 * ratio. Chunks of many small files keep the package's codec, where the ratio pays on the wire.
 */
public final class ChunkCodecs {
    /** A chunk of at most this many records is a part of a large file (or a few of them). */
    public static final int LARGE_PART_RECORDS = ArtifactTuning.DIRECT_MAX_FILES;
    /** Compression that saves less than 1/this of a chunk's bytes is not worth its decompression: the chunk is stored. */
    public static final int STORE_BELOW_SAVING = 32;

    private ChunkCodecs() {
    }

    /** How a packer chooses each chunk's codec. */
    public enum Policy {
        /** Every chunk with the package's codec (a manifest of format "nest-chunks/1", as before per-chunk codecs). */
        UNIFORM,
        /** The package's codec; a chunk it does not shrink by 1/{@link #STORE_BELOW_SAVING} is stored. */
        STORE_INCOMPRESSIBLE,
        /**
         * As {@link #STORE_INCOMPRESSIBLE}, and lz4 for the chunks of at most {@link #LARGE_PART_RECORDS} records (large
         * files' parts) when the package's codec is zstd.
         */
        FAST_LARGE
    }

    /**
     * The policy of a package whose uploader named no codec: {@link Policy#FAST_LARGE} (a manifest of format
     * "nest-chunks/2"; on the quiet machine about 1.1x the floor for large files against 1.4x with {@link
     * Policy#UNIFORM}, ADR 0027). What the CLI packs with; a node building a package from an upload uses it only
     * while the cluster's {@link PackageFormats} decision allows format 2, else {@link Policy#UNIFORM}.
     */
    public static final Policy DEFAULT = Policy.FAST_LARGE;

    /** The codec to compress a chunk of {@code records} records with, under {@code policy}, in a package of {@code codec}. */
    public static Codec first(Policy policy, Codec codec, int records) {
        if (policy == Policy.FAST_LARGE && codec == Codec.ZSTD && records <= LARGE_PART_RECORDS) {
            return Codec.LZ4;
        }
        return codec;
    }

    /**
     * The codec a chunk is kept with once compressed with {@code tried} to {@code compressed} bytes from {@code raw}:
     * {@link Codec#STORED} when the policy stores incompressible chunks and the saving is below 1/{@link
     * #STORE_BELOW_SAVING} (or negative), else {@code tried}.
     */
    public static Codec keep(Policy policy, Codec tried, int raw, int compressed) {
        if (policy != Policy.UNIFORM && (long) compressed * STORE_BELOW_SAVING > (long) raw * (STORE_BELOW_SAVING - 1)) {
            return Codec.STORED;
        }
        return tried;
    }
}
