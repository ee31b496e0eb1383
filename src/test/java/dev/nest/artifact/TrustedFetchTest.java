package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A fetch from a peer, honest or hostile, with and without the manifest digest the cluster recorded: the table of
 * what is accepted, and whether the manifest was trusted (chunks checked only) or every file hashed. A hostile peer
 * never gets altered bytes committed, whatever was recorded.
 */
class TrustedFetchTest {
    private static final Consumer<Path> NOTHING = p -> { };
    private static final int CHUNK = 4096;

    @TempDir
    Path tmp;

    /** What the peer serves. */
    enum Peer {
        /** The package as stored. */
        HONEST,
        /** The genuine manifest, one chunk with a byte flipped. */
        TAMPERED_CHUNK,
        /** A self-consistent forged manifest (other content, its own valid chunks) claiming the package's digest. */
        FORGED_MANIFEST,
        /** Another valid packing of the same content (other codec): a different manifest, same content. */
        REPACKED
    }

    /** What the cluster recorded for the package. */
    enum Record {
        GENUINE, NONE, OTHER
    }

    /** (record, peer) -> accepted, trusted; each with chunks fetched on virtual threads and on platform threads. */
    static Stream<Arguments> table() {
        return Stream.of(false, true).flatMap(platform -> rows().map(a -> Arguments.of(a.get()[0], a.get()[1], a.get()[2],
                a.get()[3], platform)));
    }

    private static Stream<Arguments> rows() {
        return Stream.of(
                Arguments.of(Record.GENUINE, Peer.HONEST, true, true),
                Arguments.of(Record.NONE, Peer.HONEST, true, false),
                Arguments.of(Record.OTHER, Peer.HONEST, true, false),
                Arguments.of(Record.GENUINE, Peer.REPACKED, true, false),
                Arguments.of(Record.GENUINE, Peer.TAMPERED_CHUNK, false, false),
                Arguments.of(Record.NONE, Peer.TAMPERED_CHUNK, false, false),
                Arguments.of(Record.GENUINE, Peer.FORGED_MANIFEST, false, false),
                Arguments.of(Record.NONE, Peer.FORGED_MANIFEST, false, false),
                Arguments.of(Record.OTHER, Peer.FORGED_MANIFEST, false, false));
    }

    private Path tree(String name, int seed) throws IOException {
        Path d = tmp.resolve(name);
        Random r = new Random(seed);
        for (int i = 0; i < 20; i++) {
            Path f = d.resolve("lib/m" + (i % 4) + "/f" + i + ".js");
            Files.createDirectories(f.getParent());
            Files.writeString(f, ("exports.v = " + r.nextInt() + ";\n").repeat(1 + r.nextInt(30)));
        }
        byte[] big = new byte[3 * CHUNK + 17];
        r.nextBytes(big);
        Files.write(d.resolve("big.bin"), big);
        return d;
    }

    @ParameterizedTest(name = "record {0}, peer {1}: accepted {2}, trusted {3}; platform fetchers {4}")
    @MethodSource("table")
    void aFetchTrustsOnlyTheRecordedManifestAndRejectsAlteredBytes(Record record, Peer peer, boolean accepted,
                                                                   boolean trusted, boolean platformFetchers) throws IOException {
        Path src = tree("src", 1);
        ArtifactStore genuine = new ArtifactStore(tmp.resolve("genuine"), PackageLimits.DEFAULT);
        Artifact a = genuine.ingestChunked(src, Codec.ZSTD, CHUNK, NOTHING);
        byte[] manifest = genuine.manifest(a.digest()).orElseThrow();
        Map<String, byte[]> chunks = new HashMap<>();
        for (ChunkManifest.Chunk c : ChunkManifest.parse(manifest).chunks()) {
            chunks.put(c.sha256(), Files.readAllBytes(genuine.chunk(c.sha256()).orElseThrow()));
        }
        switch (peer) {
            case HONEST -> { }
            case TAMPERED_CHUNK -> {
                String victim = ChunkManifest.parse(manifest).chunks().get(1).sha256();
                byte[] b = chunks.get(victim).clone();
                b[b.length / 2] ^= 0x40;
                chunks.put(victim, b);
            }
            case FORGED_MANIFEST -> {
                Map<String, byte[]> evil = new HashMap<>();
                ChunkManifest m = ChunkedPackage.write(tree("evil", 2), p -> true, Optional.of(Codec.ZSTD), CHUNK, evil::put);
                manifest = new ChunkManifest(a.digest(), m.codec(), m.files(), m.bytes(), m.chunks()).toJson();
                chunks = evil;
            }
            case REPACKED -> {
                Map<String, byte[]> other = new HashMap<>();
                manifest = ChunkedPackage.write(src, p -> true, Optional.of(Codec.LZ4), CHUNK, other::put).toJson();
                chunks = other;
            }
        }
        Optional<String> recorded = switch (record) {
            case GENUINE -> genuine.manifestSha256(a.digest());
            case NONE -> Optional.empty();
            case OTHER -> Optional.of("ab".repeat(32));
        };
        byte[] served = manifest;
        Map<String, byte[]> servedChunks = chunks;
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/artifacts/", ex -> {
            String p = ex.getRequestURI().getPath();
            byte[] body = p.contains("/manifests/") ? served : servedChunks.get(p.substring(p.lastIndexOf('/') + 1));
            ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        server.start();
        ArtifactTuning d = ArtifactTuning.DEFAULT;
        ArtifactTuning tuning = new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(), d.platformWriters(),
                d.blockingHttp(), d.directMaxFiles(), platformFetchers);
        try (ArtifactStore node = new ArtifactStore(tmp.resolve("node"), PackageLimits.DEFAULT, Long.MAX_VALUE, java.util.Set::of,
                tuning)) {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            if (accepted) {
                ArtifactStore.Fetched f = node.fetch(a.digest(), url, recorded, NOTHING);
                assertEquals(trusted, f.trusted());
                assertEquals(a.digest(), f.artifact().digest());
                assertArrayEquals(Files.readAllBytes(src.resolve("big.bin")), Files.readAllBytes(f.artifact().codeDir().resolve("big.bin")));
                assertTrue(f.cached().join());
                assertArrayEquals(served, node.manifest(a.digest()).orElseThrow(), "kept to serve in turn");
            } else {
                ArtifactException e = assertThrows(ArtifactException.class, () -> node.fetch(a.digest(), url, recorded, NOTHING));
                assertEquals(400, e.status(), e.getMessage());
                assertTrue(node.find(a.digest()).isEmpty(), "nothing committed");
                assertFalse(node.manifest(a.digest()).isPresent(), "nothing to serve");
                try (var s = Files.list(tmp.resolve("node/staging"))) {
                    assertEquals(0, s.count(), "the stage is cleaned");
                }
            }
        } finally {
            server.stop(0);
        }
    }

    @org.junit.jupiter.api.Test
    void aFetchReceivingIntoAnEarlierFetchsArraysUnpacksItsOwnBytes() throws IOException {
        ArtifactStore genuine = new ArtifactStore(tmp.resolve("genuine"), PackageLimits.DEFAULT);
        Map<String, byte[]> served = new HashMap<>();
        java.util.List<Artifact> packages = new java.util.ArrayList<>();
        for (int seed : new int[] {3, 4}) {
            // random files: their chunks are raw zstd blocks, so both packages have chunks of the same lengths
            Artifact a = genuine.ingestChunked(tree("src" + seed, seed), Codec.ZSTD, CHUNK, NOTHING);
            packages.add(a);
            byte[] manifest = genuine.manifest(a.digest()).orElseThrow();
            served.put(a.digest(), manifest);
            for (ChunkManifest.Chunk c : ChunkManifest.parse(manifest).chunks()) {
                served.put(c.sha256(), Files.readAllBytes(genuine.chunk(c.sha256()).orElseThrow()));
            }
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/artifacts/", ex -> {
            String p = ex.getRequestURI().getPath();
            byte[] body = served.get(p.substring(p.lastIndexOf('/') + 1));
            ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            for (int i = 0; i < 2; i++) {
                Artifact a = packages.get(i);
                try (ArtifactStore node = new ArtifactStore(tmp.resolve("node" + i), PackageLimits.DEFAULT)) {
                    ArtifactStore.Fetched f = node.fetch(a.digest(), url, genuine.manifestSha256(a.digest()), NOTHING);
                    assertTrue(f.trusted());
                    assertTrue(f.cached().join());
                    assertArrayEquals(Files.readAllBytes(tmp.resolve("src" + (i + 3)).resolve("big.bin")),
                            Files.readAllBytes(f.artifact().codeDir().resolve("big.bin")));
                    for (ChunkManifest.Chunk c : ChunkManifest.parse(served.get(a.digest())).chunks()) {
                        assertArrayEquals(served.get(c.sha256()), Files.readAllBytes(node.chunk(c.sha256()).orElseThrow()),
                                "the chunk cache holds the chunk's own bytes");
                    }
                }
                assertTrue(ChunkBodies.SHARED.keptBytes() > 0, "the fetch's arrays were kept for the next one");
            }
        } finally {
            server.stop(0);
        }
    }
}
