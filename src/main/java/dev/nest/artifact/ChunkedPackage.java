package dev.nest.artifact;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Writes a directory as a chunked package (the format is in {@link PackageArchive} and {@link ChunkManifest}):
 * used by {@code nest fn deploy} to compress before upload, and by the store for zip and directory ingests.
 */
public final class ChunkedPackage {
    private ChunkedPackage() {
    }

    /** Receives each compressed chunk with its sha256 (hex), in order. */
    @FunctionalInterface
    public interface Sink {
        void accept(String sha256, byte[] compressed) throws IOException;
    }

    /**
     * Packs the regular files of {@code dir} that {@code include} accepts (relative paths; {@code .git} is
     * skipped) into chunks of {@code chunkSize} uncompressed bytes; {@code codec} empty chooses by size
     * ({@link Codec#forSize}) with {@link ChunkCodecs#DEFAULT}; a named codec is used for every chunk.
     * Returns the manifest to post after the chunks.
     */
    public static ChunkManifest write(Path dir, Predicate<String> include, Optional<Codec> codec, int chunkSize, Sink sink)
            throws IOException {
        return write(dir, include, codec, codec.isPresent() ? ChunkCodecs.Policy.UNIFORM : ChunkCodecs.DEFAULT, chunkSize, sink);
    }

    /** {@link #write(Path, Predicate, Optional, int, Sink)} choosing each chunk's codec with {@code policy}. */
    public static ChunkManifest write(Path dir, Predicate<String> include, Optional<Codec> codec, ChunkCodecs.Policy policy,
                                      int chunkSize, Sink sink) throws IOException {
        var files = PackageArchive.list(dir, include);
        long total = files.stream().mapToLong(PackageArchive.Source::size).sum();
        return PackageArchive.pack(files, codec.orElse(Codec.forSize(total)), policy, chunkSize,
                (chunk, bytes) -> sink.accept(chunk.sha256(), bytes));
    }
}
