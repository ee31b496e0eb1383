package dev.nest.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.nest.artifact.Artifact;
import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.PackageLimits;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node that lacks a package fetches it from a holder on first use, and says where it came from. */
class CodeFetcherTest {
    @TempDir
    Path tmp;

    /** Serves {@code holder}'s manifests and chunks the way a node's API does. */
    private static HttpServer serve(ArtifactStore holder) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/api/v1/artifacts", ex -> {
            String path = ex.getRequestURI().getPath();
            String key = path.substring(path.lastIndexOf('/') + 1);
            Optional<byte[]> body = path.contains("/manifests/") ? holder.manifest(key)
                    : holder.chunk(key).map(p -> {
                        try {
                            return Files.readAllBytes(p);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            if (body.isEmpty()) {
                ex.sendResponseHeaders(404, -1);
            } else {
                ex.sendResponseHeaders(200, body.get().length);
                ex.getResponseBody().write(body.get());
            }
            ex.close();
        });
        s.start();
        return s;
    }

    @Test
    void aMissingPackageIsFetchedFromAHolderAndThisNodeBecomesOne() throws IOException {
        ArtifactStore holderStore = new ArtifactStore(tmp.resolve("holder"), PackageLimits.DEFAULT);
        Path code = Files.createDirectories(tmp.resolve("code"));
        Files.writeString(code.resolve("index.js"), "exports.handler = async () => 1;\n");
        Artifact a = holderStore.ingestDirectory(code, p -> { });
        HttpServer server = serve(holderStore);
        try {
            ArtifactReplicatorTest.FakeArtifactHolders holders = new ArtifactReplicatorTest.FakeArtifactHolders(List.of(
                    new ArtifactHolders.Node("h", "zone-b", "http://127.0.0.1:" + server.getAddress().getPort())));
            holders.record(a.digest(), "h");
            ArtifactStore here = new ArtifactStore(tmp.resolve("here"), PackageLimits.DEFAULT);
            CodeFetcher fetcher = new CodeFetcher(here, holders, (runtime, dir) -> { });

            Optional<Path> dir = fetcher.ensureLocal(a.digest(), "nodejs");
            assertTrue(dir.isPresent());
            assertEquals("exports.handler = async () => 1;\n", Files.readString(dir.get().resolve("index.js")));
            CodeFetcher.Fetch f = fetcher.lastFetch(a.digest()).orElseThrow();
            assertEquals("h", f.from());
            assertEquals(java.util.List.of("fetch", "decompress", "unpack"), java.util.List.copyOf(f.stages().phases().keySet()));
            assertTrue(f.stages().fetchMs() > 0 && f.stages().unpackMs() > 0, "measured stages: " + f.stages());
            here.close(); // the chunk cache is written after the commit; this node is recorded once it is
            assertEquals(Set.of("h", "me"), holders.recorded.get(a.digest()));
            assertTrue(here.manifest(a.digest()).isPresent(), "and it can serve the package in turn");
            assertEquals(dir, fetcher.ensureLocal(a.digest(), "nodejs"), "the second call finds it on disk");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void theManifestDigestTheClusterRecordedMakesTheFetchTrustIt() throws IOException {
        ArtifactStore holderStore = new ArtifactStore(tmp.resolve("holder"), PackageLimits.DEFAULT);
        Path code = Files.createDirectories(tmp.resolve("code"));
        Files.writeString(code.resolve("index.js"), "exports.handler = async () => 2;\n");
        Artifact a = holderStore.ingestDirectory(code, p -> { });
        HttpServer server = serve(holderStore);
        try {
            ArtifactReplicatorTest.FakeArtifactHolders holders = new ArtifactReplicatorTest.FakeArtifactHolders(List.of(
                    new ArtifactHolders.Node("h", "zone-b", "http://127.0.0.1:" + server.getAddress().getPort())));
            holders.record(a.digest(), "h");
            holders.recordManifest(a.digest(), holderStore.manifestSha256(a.digest()).orElseThrow());
            ArtifactStore here = new ArtifactStore(tmp.resolve("here"), PackageLimits.DEFAULT);
            CodeFetcher fetcher = new CodeFetcher(here, holders, (runtime, dir) -> { });
            Optional<Path> dir = fetcher.ensureLocal(a.digest(), "nodejs");
            assertEquals("exports.handler = async () => 2;\n", Files.readString(dir.orElseThrow().resolve("index.js")));
            assertEquals(List.of(a.digest()), holders.trustedAsked, "the fetch asked the cluster for the manifest digest");
            here.close();
            assertEquals(holderStore.manifestSha256(a.digest()), here.manifestSha256(a.digest()),
                    "the node keeps the trusted manifest, so nodes fetching from it trust it too");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aPackageNobodyHoldsIsNotFound() {
        ArtifactStore here = new ArtifactStore(tmp.resolve("here"), PackageLimits.DEFAULT);
        CodeFetcher fetcher = new CodeFetcher(here, new ArtifactReplicatorTest.FakeArtifactHolders(List.of()), (runtime, dir) -> { });
        assertEquals(Optional.empty(), fetcher.ensureLocal("sha256:" + "ab".repeat(32), "nodejs"));
    }
}
