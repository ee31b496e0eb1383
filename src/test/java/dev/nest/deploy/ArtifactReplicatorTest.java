package dev.nest.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.nest.artifact.Artifact;
import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.PackageLimits;
import dev.nest.common.NestException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replication before a deploy returns: how many copies, which peers first, and the error when too few succeed. */
class ArtifactReplicatorTest {
    @TempDir
    Path tmp;

    private ArtifactStore store;
    private Artifact artifact;

    @BeforeEach
    void storePackage() throws IOException {
        store = new ArtifactStore(tmp.resolve("artifacts"), PackageLimits.DEFAULT);
        Path code = Files.createDirectories(tmp.resolve("code"));
        Files.writeString(code.resolve("index.js"), "exports.handler = async () => ({ ok: true });\n");
        artifact = store.ingestDirectory(code, p -> { });
    }

    /** In-memory holders: a fixed list of peers, and the holder records made. */
    static final class FakeArtifactHolders implements ArtifactHolders {
        final List<Node> peers;
        final Map<String, Set<String>> recorded = new ConcurrentHashMap<>();
        final java.util.concurrent.CountDownLatch recordedOnce = new java.util.concurrent.CountDownLatch(1);
        /** Nodes whose holder record fails, as when ZooKeeper refuses the write. */
        final Set<String> refused = ConcurrentHashMap.newKeySet();
        /** The manifest digests recorded, by package. */
        final Map<String, String> manifests = new ConcurrentHashMap<>();
        final java.util.concurrent.CountDownLatch manifestRecorded = new java.util.concurrent.CountDownLatch(1);
        /** The packages whose manifest digest was asked for. */
        final List<String> trustedAsked = new java.util.concurrent.CopyOnWriteArrayList<>();

        FakeArtifactHolders(List<Node> peers) {
            this.peers = peers;
        }

        @Override
        public String self() {
            return "me";
        }

        @Override
        public String zone() {
            return "zone-a";
        }

        @Override
        public void record(String digest, String node) {
            if (refused.contains(node)) {
                throw new NestException(503, "cluster unavailable", "cannot record " + node + ": ZooKeeper refused");
            }
            recorded.computeIfAbsent(digest, d -> ConcurrentHashMap.newKeySet()).add(node);
            recordedOnce.countDown();
        }

        @Override
        public void recordManifest(String digest, String manifestSha256) {
            manifests.put(digest, manifestSha256);
            manifestRecorded.countDown();
        }

        @Override
        public Optional<String> trustedManifest(String digest) {
            trustedAsked.add(digest);
            return Optional.ofNullable(manifests.get(digest));
        }

        @Override
        public List<Node> holders(String digest) {
            Set<String> ids = recorded.getOrDefault(digest, Set.of());
            return peers.stream().filter(p -> ids.contains(p.node())).toList();
        }

        @Override
        public List<Node> peers() {
            return peers;
        }
    }

    /** A peer's upload API that accepts every chunk and manifest, remembering the requests. */
    private HttpServer acceptingPeer(List<String> requests) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/api/v1/artifacts", ex -> {
            requests.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
            ex.getRequestBody().readAllBytes();
            int status = ex.getRequestMethod().equals("HEAD") ? 404 : 201;
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        s.start();
        return s;
    }

    private static String url(HttpServer s) {
        return "http://127.0.0.1:" + s.getAddress().getPort();
    }

    @Test
    void aNodeAloneNeedsNoCopy() throws InterruptedException {
        FakeArtifactHolders holders = new FakeArtifactHolders(List.of());
        assertEquals(1, new ArtifactReplicator(store, holders, 2).replicate(artifact.digest(), "nodejs"));
        assertTrue(holders.recordedOnce.await(5, java.util.concurrent.TimeUnit.SECONDS), "recorded in the background");
        assertEquals(Set.of("me"), holders.recorded.get(artifact.digest()));
    }

    @Test
    void theVerifyingNodeRecordsTheSha256OfItsManifest() throws Exception {
        FakeArtifactHolders holders = new FakeArtifactHolders(List.of());
        new ArtifactReplicator(store, holders, 1).replicate(artifact.digest(), "nodejs");
        assertTrue(holders.manifestRecorded.await(5, java.util.concurrent.TimeUnit.SECONDS), "recorded in the background");
        String expected = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(store.manifest(artifact.digest()).orElseThrow()));
        assertEquals(expected, holders.manifests.get(artifact.digest()));
    }

    @Test
    void everyPushCarriesThePeerHeaders() throws IOException {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/api/v1/artifacts", ex -> {
            seen.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("X-Nest-Peer"));
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(ex.getRequestMethod().equals("HEAD") ? 404 : 201, -1);
            ex.close();
        });
        s.start();
        try {
            FakeArtifactHolders holders = new FakeArtifactHolders(List.of(new ArtifactHolders.Node("b", "zone-b", url(s))));
            assertEquals(2, new ArtifactReplicator(store, holders, 2, () -> java.util.Map.of("X-Nest-Peer", "v1"))
                    .replicate(artifact.digest(), "nodejs"));
            assertTrue(seen.size() >= 3, seen::toString);
            assertTrue(seen.stream().allMatch(r -> r.endsWith(" v1")), seen::toString);
        } finally {
            s.stop(0);
        }
    }

    @Test
    void thePackageIsPushedToAPeerInAnotherZoneFirst() throws IOException {
        List<String> sameZone = new CopyOnWriteArrayList<>();
        List<String> otherZone = new CopyOnWriteArrayList<>();
        HttpServer a = acceptingPeer(sameZone);
        HttpServer b = acceptingPeer(otherZone);
        try {
            FakeArtifactHolders holders = new FakeArtifactHolders(List.of(
                    new ArtifactHolders.Node("a", "zone-a", url(a)), new ArtifactHolders.Node("b", "zone-b", url(b))));
            assertEquals(2, new ArtifactReplicator(store, holders, 2).replicate(artifact.digest(), "nodejs"));
            assertEquals(Set.of("me", "b"), holders.recorded.get(artifact.digest()));
            assertEquals(List.of(), sameZone, "the same-zone peer was not needed");
            assertTrue(otherZone.contains("POST /api/v1/artifacts/manifests"), otherZone::toString);
            assertTrue(otherZone.stream().anyMatch(r -> r.startsWith("PUT /api/v1/artifacts/chunks/")), otherZone::toString);
            // a second deploy of the same package finds the copy and pushes nothing
            otherZone.clear();
            assertEquals(2, new ArtifactReplicator(store, holders, 2).replicate(artifact.digest(), "nodejs"));
            assertEquals(List.of(), otherZone);
        } finally {
            a.stop(0);
            b.stop(0);
        }
    }

    @Test
    void tooFewCopiesFailTheDeployNamingTheCause() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        FakeArtifactHolders holders = new FakeArtifactHolders(new ArrayList<>(List.of(
                new ArtifactHolders.Node("gone", "zone-b", "http://127.0.0.1:" + closed))));
        NestException e = assertThrows(NestException.class,
                () -> new ArtifactReplicator(store, holders, 2).replicate(artifact.digest(), "nodejs"));
        assertEquals(503, e.status());
        assertTrue(e.detail().contains("stored on 1 node(s)") && e.detail().contains("gone")
                && e.detail().contains("cluster.artifact-replicas"), e.detail());
    }

    @Test
    void aCopyWhoseHolderRecordFailsDoesNotCountAndThisNodesOwnRecordFailingFailsTheDeploy() throws IOException {
        HttpServer b = acceptingPeer(new CopyOnWriteArrayList<>());
        try {
            FakeArtifactHolders holders = new FakeArtifactHolders(List.of(new ArtifactHolders.Node("b", "zone-b", url(b))));
            holders.refused.add("b");
            NestException e = assertThrows(NestException.class,
                    () -> new ArtifactReplicator(store, holders, 2).replicate(artifact.digest(), "nodejs"));
            assertEquals(503, e.status());
            assertTrue(e.detail().contains("stored on 1 node(s)") && e.detail().contains("b: copied but not recorded"), e.detail());

            holders.refused.clear();
            holders.refused.add("me");
            NestException own = assertThrows(NestException.class,
                    () -> new ArtifactReplicator(store, holders, 2).replicate(artifact.digest(), "nodejs"));
            assertTrue(own.detail().contains("cannot record me"), own.detail());
        } finally {
            b.stop(0);
        }
    }

    @Test
    void replicasMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new ArtifactReplicator(store, ArtifactHolders.SINGLE_NODE, 0));
    }
}
