package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ChunkedPackageTest {
    private static final Consumer<Path> NOTHING = p -> { };
    private static final int CHUNK = 4096;

    @TempDir
    Path tmp;

    /** A small tree: text files, one file larger than a chunk (split), one executable. */
    private Path tree() throws IOException {
        Path d = tmp.resolve("src");
        Random r = new Random(7);
        for (int i = 0; i < 30; i++) {
            Path f = d.resolve("node_modules/m" + (i % 5) + "/f" + i + ".js");
            Files.createDirectories(f.getParent());
            Files.writeString(f, ("module.exports = " + i + ";\n").repeat(1 + r.nextInt(40)));
        }
        byte[] big = new byte[3 * CHUNK + 123];
        r.nextBytes(big);
        Files.write(d.resolve("big.bin"), big);
        Path exe = d.resolve("bin/run.sh");
        Files.createDirectories(exe.getParent());
        Files.writeString(exe, "#!/bin/sh\necho hi\n");
        exe.toFile().setExecutable(true);
        Files.writeString(d.resolve("empty.txt"), "");
        return d;
    }

    private static byte[] zip(Path dir) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PackageWriter.zip(dir, out);
        return out.toByteArray();
    }

    /** Packs {@code dir} into an in-memory chunk map, returning the manifest. */
    private static ChunkManifest pack(Path dir, Codec codec, Map<String, byte[]> chunks) throws IOException {
        return ChunkedPackage.write(dir, p -> true, Optional.of(codec), CHUNK, chunks::put);
    }

    private static void upload(ArtifactStore s, Map<String, byte[]> chunks) {
        chunks.forEach((sha, b) -> s.putChunk(sha, new ByteArrayInputStream(b)));
    }

    @ParameterizedTest
    @EnumSource(Codec.class)
    void aDirectoryRoundTripsThroughChunksWithTheZipDigest(Codec codec) throws IOException {
        Path src = tree();
        String zipDigest = new ArtifactStore(tmp.resolve("z"), PackageLimits.DEFAULT).ingestZip(new ByteArrayInputStream(zip(src)), NOTHING).digest();
        Map<String, byte[]> chunks = new LinkedHashMap<>();
        ChunkManifest m = pack(src, codec, chunks);
        assertTrue(m.chunks().size() > 3, "several chunks: " + m.chunks().size());
        assertEquals(zipDigest, m.digest());
        ArtifactStore s = new ArtifactStore(tmp.resolve("c"), PackageLimits.DEFAULT);
        upload(s, chunks);
        Artifact a = s.ingestManifest(m.toJson(), NOTHING);
        assertEquals(zipDigest, a.digest());
        assertEquals(33, a.files());
        assertArrayEquals(Files.readAllBytes(src.resolve("big.bin")), Files.readAllBytes(a.codeDir().resolve("big.bin")));
        assertTrue(Files.isExecutable(a.codeDir().resolve("bin/run.sh")));
        assertFalse(Files.isExecutable(a.codeDir().resolve("empty.txt")));
        assertArrayEquals(m.toJson(), s.manifest(m.digest()).orElseThrow());
        // the same content again: no work, same directory
        assertEquals(a.codeDir(), s.ingestManifest(m.toJson(), NOTHING).codeDir());
    }

    @Test
    void aZipUploadIsAlsoStoredAsChunksForPeers() throws IOException {
        ArtifactStore s = new ArtifactStore(tmp.resolve("z"), PackageLimits.DEFAULT);
        Artifact a = s.ingestZip(new ByteArrayInputStream(zip(tree())), NOTHING);
        ChunkManifest m = ChunkManifest.parse(s.manifest(a.digest()).orElseThrow());
        assertEquals(a.digest(), m.digest());
        m.chunks().forEach(c -> assertTrue(s.hasChunk(c.sha256())));
    }

    @Test
    void aCorruptChunkIsRefusedNamingIt() throws IOException {
        Map<String, byte[]> chunks = new LinkedHashMap<>();
        pack(tree(), Codec.ZSTD, chunks);
        String sha = chunks.keySet().iterator().next();
        byte[] bad = chunks.get(sha).clone();
        bad[bad.length / 2] ^= 1;
        ArtifactStore s = new ArtifactStore(tmp.resolve("c"), PackageLimits.DEFAULT);
        ArtifactException e = assertThrows(ArtifactException.class, () -> s.putChunk(sha, new ByteArrayInputStream(bad)));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains(sha) && e.getMessage().contains("corrupt"), e.getMessage());
        assertFalse(s.hasChunk(sha));
    }

    @Test
    void aCorruptChunkOnDiskIsRefusedAtUnpackNamingIt() throws IOException {
        Map<String, byte[]> chunks = new LinkedHashMap<>();
        ChunkManifest m = pack(tree(), Codec.LZ4, chunks);
        Path root = tmp.resolve("c");
        ArtifactStore s = new ArtifactStore(root, PackageLimits.DEFAULT);
        upload(s, chunks);
        String sha = m.chunks().get(1).sha256();
        Path f = root.resolve("chunks").resolve(sha);
        byte[] b = Files.readAllBytes(f);
        b[0] ^= 1;
        Files.write(f, b);
        ArtifactException e = assertThrows(ArtifactException.class, () -> s.ingestManifest(m.toJson(), NOTHING));
        assertTrue(e.getMessage().contains(sha), e.getMessage());
        assertTrue(s.find(m.digest()).isEmpty());
    }

    @Test
    void aMissingChunkIsRefusedNamingIt() throws IOException {
        Map<String, byte[]> chunks = new LinkedHashMap<>();
        ChunkManifest m = pack(tree(), Codec.ZSTD, chunks);
        String gone = m.chunks().get(2).sha256();
        chunks.remove(gone);
        ArtifactStore s = new ArtifactStore(tmp.resolve("c"), PackageLimits.DEFAULT);
        upload(s, chunks);
        ArtifactException e = assertThrows(ArtifactException.class, () -> s.ingestManifest(m.toJson(), NOTHING));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains(gone) && e.getMessage().contains("not uploaded"), e.getMessage());
    }

    /** A chunk of raw records written by hand, compressed with {@code codec}. */
    private static byte[] record(String path, int mode, byte[] data) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(25 + p.length + data.length);
        b.put((byte) 'F').putShort((short) p.length).put(p).putShort((short) mode).putLong(data.length).putLong(0).putInt(data.length).put(data);
        return b.array();
    }

    private static ArtifactException refusedChunk(ArtifactStore s, byte[] raw) {
        byte[] c = Codec.ZSTD.compress(raw, raw.length);
        String sha = java.util.HexFormat.of().formatHex(Digests.sha256().digest(c));
        s.putChunk(sha, new ByteArrayInputStream(c));
        ChunkManifest m = new ChunkManifest("sha256:" + "0".repeat(64), Codec.ZSTD, 1, Math.min(raw.length, 1000),
                List.of(new ChunkManifest.Chunk(sha, c.length, raw.length)));
        ArtifactException e = assertThrows(ArtifactException.class, () -> s.ingestManifest(m.toJson(), NOTHING));
        assertEquals(400, e.status(), e.getMessage());
        return e;
    }

    @Test
    void theChunkedPathKeepsTheUnpackingRules() {
        ArtifactStore s = new ArtifactStore(tmp.resolve("c"), new PackageLimits(1000, 3));
        assertTrue(refusedChunk(s, record("../evil.sh", 0644, "x".getBytes())).getMessage().contains("outside"));
        assertTrue(refusedChunk(s, record("/etc/passwd", 0644, "x".getBytes())).getMessage().contains("absolute"));
        byte[] link = record("a", 0644, "x".getBytes());
        link[0] = 'L';
        assertTrue(refusedChunk(s, link).getMessage().contains("not a regular file"));
        assertTrue(refusedChunk(s, record("big", 0644, new byte[2000])).getMessage().contains("more than 1000 bytes"));
        ByteArrayOutputStream many = new ByteArrayOutputStream();
        for (int i = 0; i < 4; i++) {
            many.writeBytes(record("f" + i, 0644, "x".getBytes()));
        }
        assertTrue(refusedChunk(s, many.toByteArray()).getMessage().contains("more than 3 entries"));
        ByteArrayOutputStream twice = new ByteArrayOutputStream();
        twice.writeBytes(record("a", 0644, "x".getBytes()));
        twice.writeBytes(record("a", 0644, "y".getBytes()));
        assertTrue(refusedChunk(s, twice.toByteArray()).getMessage().contains("twice"));
        // honest content under a wrong digest
        assertTrue(refusedChunk(s, record("ok.js", 0644, "x".getBytes())).getMessage().contains("unpack to content with digest"));
        // a manifest that declares more than the limits is refused before any work
        ChunkManifest huge = new ChunkManifest("sha256:" + "1".repeat(64), Codec.ZSTD, 1, 1L << 40,
                List.of(new ChunkManifest.Chunk("2".repeat(64), 10, 10)));
        assertThrows(ArtifactException.class, () -> s.ingestManifest(huge.toJson(), NOTHING));
        assertEquals(List.of(), list(tmp.resolve("c/code")));
    }

    @Test
    void aChunkThatExpandsBeyondItsDeclaredSizeIsRefused() {
        ArtifactStore s = new ArtifactStore(tmp.resolve("c"), PackageLimits.DEFAULT);
        byte[] raw = record("zeros", 0644, new byte[100_000]);
        byte[] c = Codec.ZSTD.compress(raw, raw.length);
        String sha = java.util.HexFormat.of().formatHex(Digests.sha256().digest(c));
        s.putChunk(sha, new ByteArrayInputStream(c));
        ChunkManifest m = new ChunkManifest("sha256:" + "0".repeat(64), Codec.ZSTD, 1, 100,
                List.of(new ChunkManifest.Chunk(sha, c.length, 100)));
        ArtifactException e = assertThrows(ArtifactException.class, () -> s.ingestManifest(m.toJson(), NOTHING));
        assertTrue(e.getMessage().contains(sha), e.getMessage());
    }

    private static List<String> list(Path dir) {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ---- cache -----------------------------------------------------------------------------------------

    @Test
    void theCacheEvictsTheLeastRecentlyUsedAndNeverAPinnedOne() {
        ArtifactCache c = new ArtifactCache();
        c.put("a", 100, List.of("x", "shared"));
        c.put("b", 100, List.of("shared"));
        c.put("c", 100, List.of());
        c.touch("a");
        // b is now the oldest, then c, then a; b is pinned
        List<ArtifactCache.Victim> v = c.evict(150, Set.of("b"));
        assertEquals(List.of("c", "a"), v.stream().map(ArtifactCache.Victim::hex).toList());
        assertEquals(List.of("x"), v.get(1).orphanChunks(), "'shared' is still used by b");
        assertEquals(100, c.total());
        assertEquals(List.of(), c.evict(50, Set.of("b")), "a pinned package stays even over the limit");
    }

    @Test
    void theStoreEvictsOldPackagesFromDisk() throws IOException {
        Set<String> pins = ConcurrentHashMap.newKeySet();
        ArtifactStore s = new ArtifactStore(tmp.resolve("c"), PackageLimits.DEFAULT, 30_000, () -> pins);
        List<Artifact> made = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Path d = tmp.resolve("p" + i);
            Files.createDirectories(d);
            byte[] b = new byte[10_000];
            new Random(i).nextBytes(b);
            Files.write(d.resolve("f.bin"), b);
            made.add(s.ingestChunked(d, Codec.LZ4, CHUNK, NOTHING));
            if (i == 0) {
                pins.add(made.get(0).digest());
            }
        }
        assertTrue(s.find(made.get(0).digest()).isPresent(), "pinned");
        assertTrue(s.find(made.get(1).digest()).isEmpty(), "evicted");
        assertTrue(s.manifest(made.get(1).digest()).isEmpty());
        assertTrue(s.find(made.get(3).digest()).isPresent(), "newest");
        assertTrue(s.cachedBytes() <= 30_000 + 20_000, "bytes " + s.cachedBytes());
    }

    // ---- peers -----------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Codec.class)
    void aPackageIsFetchedFromAPeerInParallelChunks(Codec codec) throws IOException {
        Path src = tree();
        ArtifactStore peer = new ArtifactStore(tmp.resolve("peer"), PackageLimits.DEFAULT);
        Artifact a = peer.ingestChunked(src, codec, CHUNK, NOTHING);
        AtomicInteger chunkGets = new AtomicInteger();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/api/v1/artifacts/", ex -> {
            String p = ex.getRequestURI().getPath();
            String last = p.substring(p.lastIndexOf('/') + 1);
            Optional<byte[]> body;
            if (p.contains("/chunks/")) {
                chunkGets.incrementAndGet();
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                body = peer.chunk(last).map(f -> {
                    try {
                        return Files.readAllBytes(f);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                inFlight.decrementAndGet();
            } else {
                body = peer.manifest(last);
            }
            ex.sendResponseHeaders(body.isPresent() ? 200 : 404, body.map(b -> (long) b.length).orElse(-1L));
            body.ifPresent(b -> {
                try {
                    ex.getResponseBody().write(b);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            ex.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            ArtifactStore node = new ArtifactStore(tmp.resolve("node"), PackageLimits.DEFAULT);
            ArtifactStore.Fetched fetched = node.fetch(a.digest(), url);
            Artifact got = fetched.artifact();
            assertEquals(a.digest(), got.digest());
            FetchStages stages = fetched.stages().orElseThrow(() -> new AssertionError("a fetch reports its stages"));
            assertEquals(List.of("fetch", "decompress", "unpack"), List.copyOf(stages.phases().keySet()));
            for (double ms : stages.phases().values()) {
                assertTrue(ms > 0 && ms <= stages.totalMs(), "each stage lies within the fetch: " + stages);
            }
            int chunks = ChunkManifest.parse(peer.manifest(a.digest()).orElseThrow()).chunks().size();
            assertEquals(chunks, chunkGets.get(), "every chunk fetched once");
            assertArrayEquals(Files.readAllBytes(src.resolve("big.bin")), Files.readAllBytes(got.codeDir().resolve("big.bin")));
            assertTrue(fetched.cached().join(), "the chunk cache is written after the commit");
            assertTrue(node.manifest(a.digest()).isPresent(), "the node can serve it in turn");
            ArtifactStore.Fetched again = node.fetch(a.digest(), url);
            assertEquals(got.codeDir(), again.artifact().codeDir(), "cached: no second fetch");
            assertEquals(Optional.empty(), again.stages(), "nothing fetched, no stages");
            assertEquals(chunks, chunkGets.get());
            ArtifactException e = assertThrows(ArtifactException.class, () -> node.fetch("sha256:" + "a".repeat(64), url));
            assertEquals(502, e.status());
        } finally {
            server.stop(0);
        }
    }
}
