package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The compressed chunks ({@code chunks/<sha256>}) and manifests ({@code manifests/<hex>.json}) of the packages this
 * node holds, which it serves to peers. Every file is written to {@code staging/} first and moved into place
 * atomically, so a reader never sees half a chunk; a chunk is content-addressed, so writing one that exists is
 * skipped.
 *
 * <p>Failure: a digest that is not well formed, a chunk too large or whose bytes do not hash to its name throw
 * {@link ArtifactException} 400; I/O errors surface as {@link IOException} to the caller, which maps them.
 * Thread-safe: concurrent writers of the same chunk converge on equal bytes.
 */
final class ChunkStore implements ChunkCacheWriter.Files {
    /** The largest compressed chunk accepted: the largest raw chunk plus what compression may add. */
    static final int MAX_COMPRESSED_CHUNK = ChunkManifest.MAX_CHUNK_BYTES + (ChunkManifest.MAX_CHUNK_BYTES >> 4);

    private final Path chunks;
    private final Path manifests;
    private final Path staging;
    private volatile PackageFormats.Source formats = PackageFormats.LOCAL;
    private volatile String lastReason = "";

    ChunkStore(Path chunks, Path manifests, Path staging) throws IOException {
        this.chunks = chunks;
        this.manifests = manifests;
        this.staging = staging;
        Files.createDirectories(chunks);
        Files.createDirectories(manifests);
    }

    Path chunkFile(String sha256) {
        return chunks.resolve(sha256);
    }

    Path manifestFile(String hex) {
        return manifests.resolve(hex + ".json");
    }

    void useFormats(PackageFormats.Source formats) {
        this.formats = formats;
    }

    /** The current format decision, logged once whenever its reason changes. */
    PackageFormats.Decision format() {
        PackageFormats.Decision d = formats.current();
        if (!d.reason().equals(lastReason)) {
            lastReason = d.reason();
            java.util.logging.Logger.getLogger(ArtifactStore.class.getName()).log(d.perChunk()
                    ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING, "packages built from uploads use "
                    + (d.perChunk() ? ChunkManifest.FORMAT_PER_CHUNK : ChunkManifest.FORMAT) + ": " + d.reason());
        }
        return d;
    }

    /**
     * The uploaded manifest {@code json}, parsed, when its format may be written now.
     *
     * @throws ArtifactException 400 when it does not parse; 409 for a {@value ChunkManifest#FORMAT_PER_CHUNK}
     *                           manifest while the cluster writes {@value ChunkManifest#FORMAT} (a node would refuse
     *                           it), with the reason
     */
    ChunkManifest acceptable(byte[] json) {
        ChunkManifest m = ChunkManifest.parse(json);
        boolean two = m.perChunk() || ChunkManifest.FORMAT_PER_CHUNK.equals(
                dev.nest.common.Json.tree(json, "manifest").path("format").asText(""));
        if (two && !format().perChunk()) {
            throw new ArtifactException(409, "package format " + ChunkManifest.FORMAT_PER_CHUNK + " is not in use in this "
                    + "cluster: " + lastReason + "; upload it as " + ChunkManifest.FORMAT + " (every chunk with the "
                    + "package's codec)");
        }
        return m;
    }

    /**
     * Packs {@code dir} into chunks stored here and writes its manifest; returns the manifest. {@code codec} empty:
     * by size ({@link Codec#forSize}) with the policy of the current {@link PackageFormats} decision.
     */
    ChunkManifest writeChunks(Path dir, Optional<Codec> codec, int chunkSize) throws IOException {
        var files = PackageArchive.list(dir, p -> true);
        long total = files.stream().mapToLong(PackageArchive.Source::size).sum();
        ChunkManifest m = PackageArchive.pack(files, codec.orElse(Codec.forSize(total)),
                codec.isPresent() ? ChunkCodecs.Policy.UNIFORM : format().policy(), chunkSize,
                (chunk, bytes) -> writeChunk(chunk.sha256(), bytes));
        writeAtomically(manifestFile(Digests.hex(m.digest())), m.toJson());
        return m;
    }

    @Override
    public void writeChunk(String sha, byte[] bytes) throws IOException {
        Path f = chunkFile(sha);
        if (!Files.exists(f)) {
            writeAtomically(f, bytes);
        }
    }

    @Override
    public void writeManifest(String digest, byte[] json) throws IOException {
        writeAtomically(manifestFile(Digests.hex(digest)), json);
    }

    /**
     * Writes {@code bytes} to a new file in {@code staging/} and moves it to {@code f}. One {@code write} call per
     * {@link PackageArchive#WRITE_SLICE} (1 MiB): {@code Files.write(Path, byte[])} issues one call per 8 KiB, 512
     * calls (and 512 copies into the JDK's temporary direct buffer) for a 4 MiB chunk.
     */
    private void writeAtomically(Path f, byte[] bytes) throws IOException {
        Path tmp = staging.resolve(UUID.randomUUID() + ".part");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                PackageArchive.writeAt(ch, ByteBuffer.wrap(bytes), 0);
            }
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** {@code sha256} when it is 64 lowercase hex digits; 400 otherwise. */
    static String chunkHex(String sha256) {
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new ArtifactException(400, "'" + sha256 + "' is not a chunk digest; expected 64 lowercase hex digits (sha256 of the compressed chunk)");
        }
        return sha256;
    }

    @Override
    public boolean has(String sha256) {
        return Files.exists(chunkFile(chunkHex(sha256)));
    }

    Optional<Path> chunk(String sha256) {
        Path f = chunkFile(chunkHex(sha256));
        return Files.exists(f) ? Optional.of(f) : Optional.empty();
    }

    /**
     * The stored chunk {@code sha256}, open for reading, when its file is a regular file (checked without following a
     * link, and opened with {@code O_NOFOLLOW}: a link in its place is not followed out of the chunk directory, and a
     * FIFO is never opened, which would block the caller).
     */
    Optional<FileChannel> open(String sha256) throws IOException {
        Path f = chunkFile(chunkHex(sha256));
        try {
            if (!Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(FileChannel.open(f, StandardOpenOption.READ, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * The stored chunk {@code sha256} when it is here and its bytes still hash to it; a damaged one (a host crash
     * can leave one short or zeroed) is deleted and reported absent, so the caller fetches it again.
     */
    Optional<byte[]> readVerified(String sha256) throws IOException {
        Path f = chunkFile(sha256);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            verify(sha256, bytes);
            return Optional.of(bytes);
        } catch (ArtifactException damaged) {
            Files.deleteIfExists(f);
            return Optional.empty();
        }
    }

    byte[] read(String sha256) throws IOException {
        return Files.readAllBytes(chunkFile(sha256));
    }

    /** The stored chunk {@code sha256}, checked against its digest (400 "corrupt" when its bytes differ). */
    byte[] readChecked(String sha256) throws IOException {
        byte[] bytes = read(sha256);
        verify(sha256, bytes);
        return bytes;
    }

    /** The chunks of {@code m} not stored here, each once, in the manifest's order. */
    List<String> missing(ChunkManifest m) {
        return m.chunks().stream().map(ChunkManifest.Chunk::sha256).distinct()
                .filter(c -> !Files.exists(chunkFile(c))).toList();
    }

    Optional<byte[]> manifest(String digest) {
        try {
            return Optional.of(Files.readAllBytes(manifestFile(Digests.hex(digest))));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot read the manifest of " + digest + ": " + ArtifactStore.withoutPaths(e, chunks.getParent()), e);
        }
    }

    /** Stores one uploaded compressed chunk after checking its size and that its bytes hash to {@code sha256}. */
    void put(String sha256, InputStream body) {
        chunkHex(sha256);
        try {
            byte[] bytes = body.readNBytes(MAX_COMPRESSED_CHUNK + 1);
            if (bytes.length > MAX_COMPRESSED_CHUNK) {
                throw new ArtifactException(400, "chunk " + sha256 + " is larger than " + MAX_COMPRESSED_CHUNK + " bytes; use smaller chunks");
            }
            verify(sha256, bytes);
            writeChunk(sha256, bytes);
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot store chunk " + sha256 + ": " + ArtifactStore.withoutPaths(e, chunks.getParent()), e);
        }
    }

    static void verify(String sha256, byte[] bytes) {
        String actual = HexFormat.of().formatHex(Digests.sha256().digest(bytes));
        if (!actual.equals(sha256)) {
            throw new ArtifactException(400, "chunk " + sha256 + " is corrupt: its bytes hash to " + actual);
        }
    }

    /** Deletes the manifest of package {@code hex} and the chunks no other package uses. */
    void remove(String hex, List<String> orphanChunks) throws IOException {
        Files.deleteIfExists(manifestFile(hex));
        for (String c : orphanChunks) {
            Files.deleteIfExists(chunkFile(c));
        }
    }
}
