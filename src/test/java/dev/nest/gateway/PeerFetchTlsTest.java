package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.nest.artifact.Artifact;
import dev.nest.artifact.ArtifactException;
import dev.nest.artifact.ArtifactStore;
import dev.nest.artifact.ArtifactTuning;
import dev.nest.artifact.Codec;
import dev.nest.artifact.PackageLimits;
import dev.nest.config.TlsConfig;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A package fetched from a peer over https with the node's peer TLS context ({@link Tls#peerContext()}), through
 * either HTTP client of the store (HttpURLConnection, the default, and the JDK HttpClient): a peer presenting the
 * pinned certificate serves the package, one presenting another certificate is refused before any byte is read.
 */
class PeerFetchTlsTest {
    @TempDir
    static Path dir;

    private static SelfSignedCertificate node;
    private static SelfSignedCertificate other;

    private HttpsServer server;

    @BeforeAll
    static void certificates() throws Exception {
        node = SelfSignedCertificate.create(dir, "node");
        other = SelfSignedCertificate.create(dir, "other");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** An HTTPS peer presenting {@code cert}, serving the manifests and chunks of {@code store}. */
    private int serve(SelfSignedCertificate cert, ArtifactStore store) throws Exception {
        List<java.security.cert.X509Certificate> chain = Tls.certificates("cert", cert.cert().toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", Tls.privateKey("key", cert.key().toString()), "p".toCharArray(), chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "p".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        server.createContext("/api/v1/artifacts/", x -> {
            String p = x.getRequestURI().getPath();
            String last = p.substring(p.lastIndexOf('/') + 1);
            Optional<byte[]> body = p.contains("/chunks/") ? store.chunk(last).map(f -> {
                try {
                    return Files.readAllBytes(f);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }) : store.manifest(last);
            if (body.isEmpty()) {
                x.sendResponseHeaders(404, -1);
            } else {
                x.sendResponseHeaders(200, body.get().length);
                try (OutputStream out = x.getResponseBody()) {
                    out.write(body.get());
                }
            }
            x.close();
        });
        server.start();
        return server.getAddress().getPort();
    }

    private static Path content(Path d) throws Exception {
        Files.createDirectories(d.resolve("lib"));
        for (int i = 0; i < 5; i++) {
            Files.writeString(d.resolve("lib/f" + i + ".js"), ("exports.v = " + i + ";\n").repeat(200 + i));
        }
        byte[] big = new byte[300_000];
        new java.util.Random(3).nextBytes(big);
        Files.write(d.resolve("big.bin"), big);
        return d;
    }

    @ParameterizedTest(name = "HttpURLConnection {0}")
    @ValueSource(booleans = {true, false})
    void aPeerPresentingThePinnedCertificateServesThePackageAndAnotherIsRefused(boolean blocking, @TempDir Path tmp)
            throws Exception {
        PackageLimits limits = new PackageLimits(1L << 30, 10_000);
        ArtifactStore peer = new ArtifactStore(tmp.resolve("peer"), limits);
        Artifact a = peer.ingestChunked(content(tmp.resolve("src")), Codec.ZSTD, 64 * 1024, p -> { });
        Tls tls = Tls.load(new TlsConfig(node.cert().toString(), node.key().toString(), "")).orElseThrow();
        ArtifactTuning d = ArtifactTuning.DEFAULT;
        ArtifactTuning tuning = new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(), d.platformWriters(), blocking);

        int genuine = serve(node, peer);
        try (ArtifactStore here = new ArtifactStore(tmp.resolve("here"), limits, Long.MAX_VALUE, Set::of, tuning, Map::of,
                Optional.of(tls.peerContext()))) {
            ArtifactStore.Fetched f = here.fetch(a.digest(), "https://127.0.0.1:" + genuine, peer.manifestSha256(a.digest()));
            assertEquals(a.digest(), f.artifact().digest());
            assertEquals(Files.readString(tmp.resolve("src/lib/f3.js")), Files.readString(f.artifact().codeDir().resolve("lib/f3.js")));
        }
        server.stop(0);

        int impostor = serve(other, peer);
        try (ArtifactStore here = new ArtifactStore(tmp.resolve("here2"), limits, Long.MAX_VALUE, Set::of, tuning, Map::of,
                Optional.of(tls.peerContext()))) {
            ArtifactException e = assertThrows(ArtifactException.class,
                    () -> here.fetch(a.digest(), "https://127.0.0.1:" + impostor));
            assertEquals(502, e.status(), e.getMessage());
            assertTrue(here.find(a.digest()).isEmpty());
        }
    }
}
