package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Per-chunk codecs: the packer's choice, the manifest's two formats, and hostile chunks and manifests. */
class ChunkCodecsTest {
    private static final Consumer<Path> NOTHING = p -> { };
    private static final int CHUNK = 64 << 10;

    @TempDir
    Path tmp;

    static Stream<Arguments> firstCodec() {
        return Stream.of(
                // policy, package codec, records in the chunk, expected
                Arguments.of(ChunkCodecs.Policy.UNIFORM, Codec.ZSTD, 1, Codec.ZSTD),
                Arguments.of(ChunkCodecs.Policy.STORE_INCOMPRESSIBLE, Codec.ZSTD, 1, Codec.ZSTD),
                Arguments.of(ChunkCodecs.Policy.FAST_LARGE, Codec.ZSTD, 1, Codec.LZ4),
                Arguments.of(ChunkCodecs.Policy.FAST_LARGE, Codec.ZSTD, ChunkCodecs.LARGE_PART_RECORDS, Codec.LZ4),
                Arguments.of(ChunkCodecs.Policy.FAST_LARGE, Codec.ZSTD, ChunkCodecs.LARGE_PART_RECORDS + 1, Codec.ZSTD),
                Arguments.of(ChunkCodecs.Policy.FAST_LARGE, Codec.LZ4, 200, Codec.LZ4),
                Arguments.of(ChunkCodecs.Policy.FAST_LARGE, Codec.STORED, 1, Codec.STORED));
    }

    @ParameterizedTest
    @MethodSource
    void firstCodec(ChunkCodecs.Policy policy, Codec codec, int records, Codec expected) {
        assertEquals(expected, ChunkCodecs.first(policy, codec, records));
    }

    static Stream<Arguments> keptCodec() {
        return Stream.of(
                // policy, tried, raw, compressed, expected
                Arguments.of(ChunkCodecs.Policy.UNIFORM, Codec.ZSTD, 1000, 1010, Codec.ZSTD),
                Arguments.of(ChunkCodecs.Policy.STORE_INCOMPRESSIBLE, Codec.ZSTD, 1000, 1010, Codec.STORED),
                Arguments.of(ChunkCodecs.Policy.STORE_INCOMPRESSIBLE, Codec.ZSTD, 3200, 3101, Codec.STORED),
                Arguments.of(ChunkCodecs.Policy.STORE_INCOMPRESSIBLE, Codec.ZSTD, 3200, 3100, Codec.ZSTD),
                Arguments.of(ChunkCodecs.Policy.FAST_LARGE, Codec.LZ4, 4 << 20, (4 << 20) + 16, Codec.STORED),
                Arguments.of(ChunkCodecs.Policy.FAST_LARGE, Codec.LZ4, 4 << 20, 2 << 20, Codec.LZ4));
    }

    @ParameterizedTest
    @MethodSource
    void keptCodec(ChunkCodecs.Policy policy, Codec tried, int raw, int compressed, Codec expected) {
        assertEquals(expected, ChunkCodecs.keep(policy, tried, raw, compressed));
    }

    /** Text files (several small ones per chunk), one large text file and one large random file. */
    private Path mixed() throws IOException {
        Path d = tmp.resolve("src");
        Random r = new Random(11);
        for (int i = 0; i < 40; i++) {
            Path f = d.resolve("lib/m" + (i % 4) + "/f" + i + ".js");
            Files.createDirectories(f.getParent());
            Files.writeString(f, ("exports.v" + i + " = require('./x');\n").repeat(20 + r.nextInt(40)));
        }
        Files.writeString(d.resolve("bundle.js"), "function f(a, b) { return a + b; }\n".repeat(12_000));
        byte[] media = new byte[5 * CHUNK / 2];
        r.nextBytes(media);
        Files.write(d.resolve("media.png"), media);
        return d;
    }

    private static ChunkManifest pack(Path dir, Optional<Codec> codec, ChunkCodecs.Policy policy, Map<String, byte[]> into)
            throws IOException {
        return ChunkedPackage.write(dir, p -> true, codec, policy, CHUNK, into::put);
    }

    private static ArtifactStore store(Path root, boolean directBuffers) {
        ArtifactTuning d = ArtifactTuning.DEFAULT;
        return new ArtifactStore(root, PackageLimits.DEFAULT, ArtifactStore.DEFAULT_CACHE_BYTES, Set::of,
                new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(), d.platformWriters(), d.blockingHttp(),
                        d.directMaxFiles(), d.platformFetchers(), directBuffers));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void perChunkCodecsRoundTripWithTheZipDigest(boolean directBuffers) throws IOException {
        Path src = mixed();
        Map<String, byte[]> uniform = new LinkedHashMap<>();
        ChunkManifest u = pack(src, Optional.of(Codec.ZSTD), ChunkCodecs.Policy.UNIFORM, uniform);
        Map<String, byte[]> chunks = new LinkedHashMap<>();
        ChunkManifest m = pack(src, Optional.of(Codec.ZSTD), ChunkCodecs.Policy.FAST_LARGE, chunks);
        assertEquals(u.digest(), m.digest(), "the codecs change the chunks, never the content digest");
        Set<Codec> used = new java.util.TreeSet<>();
        m.chunks().forEach(c -> used.add(m.codecOf(c)));
        assertEquals(Set.of(Codec.ZSTD, Codec.LZ4, Codec.STORED), used, "small files zstd, large text lz4, random stored");
        String json = new String(m.toJson(), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"format\":\"" + ChunkManifest.FORMAT_PER_CHUNK + "\""), json);
        assertEquals(m, ChunkManifest.parse(m.toJson()));

        ArtifactStore s = store(tmp.resolve("node"), directBuffers);
        chunks.forEach((sha, b) -> s.putChunk(sha, new ByteArrayInputStream(b)));
        Artifact a = s.ingestManifest(m.toJson(), NOTHING);
        assertEquals(m.digest(), a.digest());
        assertArrayEquals(Files.readAllBytes(src.resolve("media.png")), Files.readAllBytes(a.codeDir().resolve("media.png")));
        assertArrayEquals(Files.readAllBytes(src.resolve("bundle.js")), Files.readAllBytes(a.codeDir().resolve("bundle.js")));
    }

    @Test
    void aNamedCodecKeepsTheFirstFormatByteForByte() throws IOException {
        Map<String, byte[]> chunks = new LinkedHashMap<>();
        ChunkManifest m = pack(mixed(), Optional.of(Codec.ZSTD), ChunkCodecs.Policy.UNIFORM, chunks);
        String json = new String(m.toJson(), StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"format\":\"" + ChunkManifest.FORMAT + "\""), json);
        assertFalse(json.contains("\"codec\":\"lz4\"") || json.contains("stored"), json);
        // a deploy that names its codec packs every chunk with it
        Map<String, byte[]> named = new LinkedHashMap<>();
        ChunkManifest n = ChunkedPackage.write(tmp.resolve("src"), p -> true, Optional.of(Codec.ZSTD), CHUNK, named::put);
        assertArrayEquals(m.toJson(), n.toJson());
    }

    @Test
    void aDeployThatNamesNoCodecPacksWithTheDefaultPolicy() throws IOException {
        assertEquals(ChunkCodecs.Policy.FAST_LARGE, ChunkCodecs.DEFAULT);
        Map<String, byte[]> chunks = new LinkedHashMap<>();
        ChunkManifest m = ChunkedPackage.write(mixed(), p -> true, Optional.empty(), CHUNK, chunks::put);
        String json = new String(m.toJson(), StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"format\":\"" + ChunkManifest.FORMAT_PER_CHUNK + "\""), json);
        assertTrue(m.perChunk(), "large text lz4, random stored");
    }

    @Test
    void aManifestStoredBeforePerChunkCodecsReadsAsItsPackageCodec() {
        String sha = "a".repeat(64);
        String old = "{\"format\":\"nest-chunks/1\",\"digest\":\"sha256:" + "1".repeat(64) + "\",\"files\":1,\"bytes\":10,"
                + "\"chunks\":[{\"sha256\":\"" + sha + "\",\"size\":20,\"rawSize\":40}]}";
        ChunkManifest m = ChunkManifest.parse(old.getBytes(StandardCharsets.UTF_8));
        assertEquals(Codec.ZSTD, m.codec(), "no codec: zstd, as every manifest before the key was optional");
        assertEquals(Codec.ZSTD, m.codecOf(m.chunks().get(0)));
        assertEquals(Optional.empty(), m.chunks().get(0).codec());
    }

    static Stream<Arguments> hostileManifests() {
        String head = "{\"digest\":\"sha256:" + "1".repeat(64) + "\",\"files\":1,\"bytes\":10,";
        String chunk = "{\"sha256\":\"" + "a".repeat(64) + "\",\"size\":20,\"rawSize\":40";
        return Stream.of(
                Arguments.of(head + "\"format\":\"nest-chunks/2\",\"codec\":\"brotli\",\"chunks\":[" + chunk + "}]}",
                        "manifest key 'codec': value 'brotli' is not known; allowed: zstd, lz4, stored"),
                Arguments.of(head + "\"format\":\"nest-chunks/2\",\"codec\":\"zstd\",\"chunks\":[" + chunk + ",\"codec\":\"xz\"}]}",
                        "manifest key 'chunks[0].codec': value 'xz' is not known"),
                Arguments.of(head + "\"format\":\"nest-chunks/1\",\"codec\":\"zstd\",\"chunks\":[" + chunk + ",\"codec\":\"lz4\"}]}",
                        "a codec per chunk needs format nest-chunks/2"),
                Arguments.of(head + "\"format\":\"nest-chunks/2\",\"codec\":\"zstd\",\"chunks\":[" + chunk + ",\"codec\":\"stored\"}]}",
                        "a stored chunk is its uncompressed bytes"),
                Arguments.of(head + "\"format\":\"nest-chunks/3\",\"codec\":\"zstd\",\"chunks\":[" + chunk + "}]}",
                        "manifest key 'format': value 'nest-chunks/3' is not supported"));
    }

    @ParameterizedTest
    @MethodSource
    void hostileManifests(String json, String message) {
        ArtifactException e = assertThrows(ArtifactException.class, () -> ChunkManifest.parse(json.getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    private static byte[] record(String path, byte[] data) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(25 + p.length + data.length);
        b.put((byte) 'F').putShort((short) p.length).put(p).putShort((short) 0644).putLong(data.length).putLong(0).putInt(data.length).put(data);
        return b.array();
    }

    static Stream<Arguments> hostileChunks() {
        byte[] raw = record("a.txt", "hello hello hello hello hello hello hello hello".getBytes(StandardCharsets.UTF_8));
        byte[] garbage = new byte[64];
        new Random(3).nextBytes(garbage);
        byte[] lz4 = Codec.LZ4.compress(raw, raw.length);
        byte[] zstd = Codec.ZSTD.compress(raw, raw.length);
        byte[] notRecords = new byte[raw.length];
        return Stream.of(
                // claimed codec, the chunk's bytes, declared raw size, what the refusal says
                Arguments.of(Codec.LZ4, garbage, raw.length, "not valid lz4 data"),
                Arguments.of(Codec.LZ4, zstd, raw.length, "not valid lz4 data"),
                Arguments.of(Codec.ZSTD, lz4, raw.length, "not valid zstd data"),
                Arguments.of(Codec.LZ4, lz4, raw.length - 5, "lz4"),
                Arguments.of(Codec.LZ4, lz4, raw.length + 5, "decompresses to"),
                Arguments.of(Codec.STORED, notRecords, raw.length, "not a regular file"));
    }

    @Test
    void aStoredChunkOfAnotherSizeThanDeclaredIsRefused() {
        byte[] raw = record("zeros", new byte[100_000]);
        for (int declared : List.of(4096, raw.length + 1)) {
            ArtifactException heap = assertThrows(ArtifactException.class, () -> Codec.STORED.decompress(raw, declared, "chunk 0"));
            ArtifactException direct = assertThrows(ArtifactException.class,
                    () -> Codec.STORED.decompress(raw, ByteBuffer.allocateDirect(raw.length + 1), declared, "chunk 0"));
            for (ArtifactException e : List.of(heap, direct)) {
                assertEquals(400, e.status());
                assertTrue(e.getMessage().contains("chunk 0 is stored uncompressed with " + raw.length + " bytes, not the "
                        + declared), e.getMessage());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("hostileChunks")
    void hostileChunksFailNamingTheChunkWithNothingCommitted(Codec claimed, byte[] body, int rawSize, String message) {
        for (boolean direct : List.of(true, false)) {
            Path root = tmp.resolve("node-" + direct);
            ArtifactStore s = store(root, direct);
            String sha = HexFormat.of().formatHex(Digests.sha256().digest(body));
            s.putChunk(sha, new ByteArrayInputStream(body));
            // the package codec differs from the chunk's, so the chunk carries its own (format nest-chunks/2)
            Codec pkg = claimed == Codec.ZSTD ? Codec.LZ4 : Codec.ZSTD;
            ChunkManifest m = new ChunkManifest("sha256:" + "0".repeat(64), pkg, 1, rawSize,
                    List.of(new ChunkManifest.Chunk(sha, body.length, rawSize, Optional.of(claimed))));
            ArtifactException e = assertThrows(ArtifactException.class, () -> s.ingestManifest(m.toJson(), NOTHING));
            assertEquals(400, e.status(), e.getMessage());
            assertTrue(e.getMessage().contains(message) && e.getMessage().contains("chunk 0"), e.getMessage());
            assertEquals(List.of(), list(root.resolve("code")), "nothing committed");
            assertEquals(List.of(), list(root.resolve("staging")), "the stage is deleted");
        }
    }

    private static List<String> list(Path dir) {
        try (var l = Files.list(dir)) {
            return l.map(f -> f.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
