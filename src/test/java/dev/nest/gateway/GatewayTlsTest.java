package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.auth.PeerCredential;
import dev.nest.config.ConfigException;
import dev.nest.config.NestConfig;
import dev.nest.config.TlsConfig;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the public port with a self-signed certificate made in the test: start-up checks that name the key and the
 * file, the conformance basics over TLS, and an invocation forwarded to a peer over TLS with the cluster credential.
 */
class GatewayTlsTest {
    private static final String SECRET = "cluster-secret-tls";
    private static final PeerCredential CREDENTIAL = PeerCredential.of("X-Nest-Cluster-Auth", SECRET, SECRET::equals);

    @TempDir
    static Path dir;
    private static SelfSignedCertificate cert;
    private static SelfSignedCertificate other;

    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private final FakeInstanceLeases leases = new FakeInstanceLeases();
    private final FakeInstanceLeases peerLeases = new FakeInstanceLeases();
    private FakeHost host;
    private FakeHost admin;
    private Gateway gateway;
    private Gateway peer;

    @BeforeAll
    static void certificates() throws Exception {
        cert = SelfSignedCertificate.create(dir, "node");
        other = SelfSignedCertificate.create(dir, "other");
    }

    @AfterEach
    void tearDown() throws IOException {
        for (AutoCloseable c : new AutoCloseable[] {gateway, peer, host, admin}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IOException(e);
                }
            }
        }
    }

    private static Tls tls() {
        return Tls.load(new TlsConfig(cert.cert().toString(), cert.key().toString(), "")).orElseThrow();
    }

    private Gateway start(FakeInstanceLeases l, PeerRoutes routes) throws IOException {
        FunctionId id = FunctionId.of("default", "echo");
        FunctionSpec spec = new FunctionSpec(id, "fake", "", 128, Duration.ofSeconds(5), 1, Map.of(),
                new ScalingSpec(0, 1, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)));
        catalog.put(FunctionRecord.empty(id, "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", Instant.EPOCH, true));
        Gateway g = new Gateway(catalog, l, r -> { }, 1024, Clock.systemUTC(), routes, InvokeAuth.UNAVAILABLE,
                Optional.empty(), NestConfig.Gateway.DEFAULTS, dev.nest.limits.Admission.local(Clock.systemUTC()), Optional.of(CREDENTIAL));
        g.start("127.0.0.1", 0, admin.port(), 1, Optional.of(tls()));
        return g;
    }

    private void startLocal() throws IOException {
        host = new FakeHost();
        admin = new FakeHost();
        leases.serveAtOnce("echo-1", host.port());
        gateway = start(leases, PeerRoutes.LOCAL_ONLY);
    }

    /** A client that trusts the node's certificate, as a peer does. */
    private RawClient tlsClient(int port) throws IOException {
        SSLSocket s = (SSLSocket) tls().peerContext().getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
        s.startHandshake();
        return new RawClient(s);
    }

    @Test
    void servesAnInvocationAndTheAdminApiOverTls() throws Exception {
        startLocal();
        try (RawClient c = tlsClient(gateway.port())) {
            RawClient.Response r = c.request("POST", "/fn/echo/x", "data").read();
            assertEquals(200, r.status());
            assertTrue(r.header("x-nest-invocation-id").isPresent());
            FakeHost.Request sent = host.take();
            assertEquals("data", sent.bodyText());
            assertEquals("https", sent.headers().get("x-forwarded-proto"), "the function learns the client used TLS");
            assertTrue(sent.headers().get("forwarded").contains("proto=https"), sent.headers().get("forwarded"));
            assertEquals(200, c.request("GET", "/api/v1/functions", "").read().status(), "the admin API is passed on");
            assertEquals("/api/v1/functions", admin.take().target());
        }
    }

    @Test
    void refusesSmugglingOverTlsAsOverPlainHttp() throws Exception {
        startLocal();
        try (RawClient c = tlsClient(gateway.port())) {
            RawClient.Response r = c.send("POST /fn/echo HTTP/1.1\r\nHost: g\r\nContent-Length: 4\r\nTransfer-Encoding: chunked"
                    + "\r\n\r\n0\r\n\r\nGET /fn/echo/smuggled HTTP/1.1\r\nHost: g\r\n\r\n").read();
            assertEquals(400, r.status());
            assertEquals("close", r.header("connection").orElse(""));
            assertTrue(c.closedByServer());
        }
        try (RawClient c = tlsClient(gateway.port())) {
            assertEquals(400, c.send("GET /fn/echo HTTP/1.1\r\n\r\n").read().status(), "HTTP/1.1 without Host");
        }
        assertTrue(host.requests.isEmpty());
    }

    @Test
    void aLoopbackClientMayStillSpeakPlainHttpAndIsToldSo() throws Exception {
        startLocal();
        try (RawClient c = new RawClient(gateway.port())) {
            assertEquals(200, c.request("GET", "/fn/echo", "").read().status());
        }
        assertEquals("http", host.take().headers().get("x-forwarded-proto"));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"127.0.0.1, true", "127.8.9.10, true", "::1, true", "10.0.0.5, false",
            "192.168.1.20, false", "::ffff:10.0.0.5, false", "2001:db8::1, false"})
    void onlyLoopbackClientsMaySkipTls(String address, boolean plain) throws Exception {
        assertEquals(plain, Transport.plainAllowed(new java.net.InetSocketAddress(InetAddress.getByName(address), 1234)));
    }

    @Test
    void aClientThatTrustsAnotherCertificateIsRefused() throws Exception {
        startLocal();
        Tls stranger = Tls.load(new TlsConfig(other.cert().toString(), other.key().toString(), "")).orElseThrow();
        SSLSocket s = (SSLSocket) stranger.peerContext().getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                gateway.port());
        try (s) {
            assertThrows(SSLHandshakeException.class, s::startHandshake, "a node pins the cluster's own certificate");
        }
    }

    @Test
    void forwardsAnInvocationToAPeerOverTlsWithTheClusterCredential() throws Exception {
        host = new FakeHost();
        admin = new FakeHost();
        peerLeases.serveAtOnce("echo-b", host.port());
        peer = start(peerLeases, PeerRoutes.LOCAL_ONLY);
        gateway = start(leases, new FakePeerRoutes(List.of(new PeerRoutes.Peer("node-b", "127.0.0.1", peer.port()))));
        try (RawClient c = tlsClient(gateway.port())) {
            RawClient.Response r = c.request("POST", "/fn/echo", "over tls").read();
            assertEquals(200, r.status(), r.bodyText());
            assertTrue(r.header("x-nest-invocation-id").isPresent());
        }
        FakeHost.Request sent = host.take();
        assertEquals("/invoke/echo-b/", sent.target());
        assertEquals("over tls", sent.bodyText());
        assertNull(sent.headers().get("x-nest-cluster-auth"), "the function never sees the credential");
        assertEquals(0, leases.acquired.get(), "served by the peer");
    }

    @Test
    void startUpNamesTheKeyAndTheFileThatIsWrong() throws Exception {
        Path missing = dir.resolve("missing.pem");
        ConfigException e = assertThrows(ConfigException.class,
                () -> Tls.load(new TlsConfig(missing.toString(), cert.key().toString(), "")));
        assertTrue(e.getMessage().contains("server.tls.cert") && e.getMessage().contains(missing.toString()), e.getMessage());

        e = assertThrows(ConfigException.class, () -> Tls.load(new TlsConfig(cert.cert().toString(), cert.cert().toString(), "")));
        assertTrue(e.getMessage().contains("server.tls.key") && e.getMessage().contains("PKCS#8"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> Tls.load(new TlsConfig(cert.key().toString(), cert.key().toString(), "")));
        assertTrue(e.getMessage().contains("server.tls.cert"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> Tls.load(new TlsConfig(cert.cert().toString(), other.key().toString(), "")));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());

        Path rsa1 = Files.writeString(dir.resolve("pkcs1.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        e = assertThrows(ConfigException.class, () -> Tls.load(new TlsConfig(cert.cert().toString(), rsa1.toString(), "")));
        assertTrue(e.getMessage().contains("openssl pkcs8"), e.getMessage());

        assertTrue(Tls.load(TlsConfig.NONE).isEmpty());
    }
}
