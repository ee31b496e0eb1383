package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.auth.PeerCredential;
import dev.nest.config.NestConfig;
import dev.nest.config.TlsConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway serving other nodes' chunk fetches ({@code GET|HEAD /api/v1/artifacts/chunks/{sha256}} with the peer
 * credential) from the chunk files itself, on a loopback port, plain and TLS; everything else of that route goes to a
 * fake admin server as before.
 */
class ChunkServingTest {
    private static final String SECRET = "cluster-secret-1";
    private static final PeerCredential CREDENTIAL = PeerCredential.of("X-Nest-Cluster-Auth", SECRET, SECRET::equals);
    private static final String PEER = "x-nest-cluster-auth: " + SECRET;
    private static final String PATH = ChunkServer.PREFIX;

    @TempDir
    static Path certs;
    private static SelfSignedCertificate cert;

    @TempDir
    Path dir;
    private final Map<String, Path> stored = new ConcurrentHashMap<>();
    /** The digests the gateway asked the store for. */
    private final List<String> asked = new CopyOnWriteArrayList<>();
    /** When set, what happens to a chunk's file right after it was opened (before it is sent). */
    private volatile java.util.function.Consumer<Path> afterOpen = p -> { };
    private FakeHost admin;
    private Gateway gateway;

    @BeforeAll
    static void certificate() throws Exception {
        cert = SelfSignedCertificate.create(certs, "node");
    }

    @BeforeEach
    void setUp() throws IOException {
        admin = new FakeHost();
        admin.handler = FakeHost.answer(404, "{\"error\":\"chunk not found\"}", "content-type", "application/json");
    }

    @AfterEach
    void tearDown() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
        admin.close();
    }

    private Gateway start(Optional<Tls> tls) throws IOException {
        Gateway g = new Gateway(new InMemoryCatalog(), new FakeInstanceLeases(), r -> { }, 1024, Clock.systemUTC(),
                PeerRoutes.LOCAL_ONLY, InvokeAuth.UNAVAILABLE, Optional.empty(), NestConfig.Gateway.DEFAULTS,
                dev.nest.limits.Admission.local(Clock.systemUTC()), Optional.of(CREDENTIAL)).chunkFiles(sha -> {
                    asked.add(sha);
                    Path f = stored.get(sha);
                    if (f == null) {
                        return Optional.empty();
                    }
                    ChunkFiles.Opened o = ChunkFiles.Opened.of(FileChannel.open(f, StandardOpenOption.READ));
                    afterOpen.accept(f);
                    return Optional.of(o);
                });
        g.start("127.0.0.1", 0, admin.port(), 1, tls);
        gateway = g;
        return g;
    }

    private static Optional<Tls> tls() {
        return Tls.load(new TlsConfig(cert.cert().toString(), cert.key().toString(), ""));
    }

    private RawClient tlsClient() throws IOException {
        SSLSocket s = (SSLSocket) tls().orElseThrow().peerContext().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), gateway.port());
        s.startHandshake();
        return new RawClient(s);
    }

    /** Stores {@code size} random bytes as a chunk (named by their digest); returns them. */
    private byte[] chunk(int size, long seed) throws IOException {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        String sha = sha(bytes);
        Path f = dir.resolve(sha);
        Files.write(f, bytes);
        stored.put(sha, f);
        return bytes;
    }

    private static String sha(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void servesAPeersFetchFromTheFileAndKeepsTheConnection() throws Exception {
        start(Optional.empty());
        byte[] a = chunk(3 * 1024 * 1024 + 17, 1); // more than a socket takes at once
        byte[] b = chunk(1000, 2);
        try (RawClient c = new RawClient(gateway.port())) {
            RawClient.Response r = c.request("GET", PATH + sha(a), "", PEER).read();
            assertEquals(200, r.status());
            assertEquals(String.valueOf(a.length), r.header("content-length").orElseThrow());
            assertEquals(Optional.of("application/octet-stream"), r.header("content-type"));
            assertNull(r.headers().get("connection"), "kept open");
            assertArrayEquals(a, r.body());
            RawClient.Response second = c.request("GET", PATH + sha(b), "", PEER).read();
            assertEquals(200, second.status());
            assertArrayEquals(b, second.body());
        }
        assertTrue(admin.requests.isEmpty(), "the admin server was not asked: " + admin.requests);
        assertEquals(List.of(sha(a), sha(b)), asked);
    }

    @Test
    void answersHeadWithTheLengthAndNoBody() throws Exception {
        start(Optional.empty());
        byte[] a = chunk(5000, 3);
        try (RawClient c = new RawClient(gateway.port())) {
            RawClient.Response r = c.request("HEAD", PATH + sha(a), "", PEER).read(true);
            assertEquals(200, r.status());
            assertEquals(String.valueOf(a.length), r.header("content-length").orElseThrow());
            // nothing of the file followed the head: the next answer on the connection is whole and in order
            RawClient.Response next = c.request("GET", PATH + sha(a), "", PEER).read();
            assertArrayEquals(a, next.body());
        }
        assertTrue(admin.requests.isEmpty());
    }

    @Test
    void answersHttp10AndClosesWhenTheClientAsks() throws Exception {
        start(Optional.empty());
        byte[] a = chunk(70_000, 4);
        try (RawClient c = new RawClient(gateway.port())) {
            RawClient.Response r = c.request("GET", PATH + sha(a), "", PEER, "connection: close").read();
            assertEquals(200, r.status());
            assertEquals(Optional.of("close"), r.header("connection"));
            assertArrayEquals(a, r.body());
            assertTrue(c.closedByServer());
        }
    }

    /** Anything but the right credential, alone: the admin server judges it, with exactly what the client sent. */
    @ParameterizedTest
    @ValueSource(strings = {"", "x-nest-cluster-auth: wrong", "authorization: Bearer some-token",
            "x-nest-cluster-auth: \r\nx-nest-cluster-auth: " + SECRET})
    void passesARequestWithoutThePeerCredentialToTheAdminServer(String header) throws Exception {
        start(Optional.empty());
        byte[] a = chunk(100, 5);
        admin.handler = FakeHost.answer(401, "{\"error\":\"not authenticated\"}", "content-type", "application/json",
                "www-authenticate", "Bearer realm=\"nest\"");
        try (RawClient c = new RawClient(gateway.port())) {
            String[] headers = header.isEmpty() ? new String[0] : header.split("\r\n");
            RawClient.Response r = c.request("GET", PATH + sha(a), "", headers).read();
            assertEquals(401, r.status());
            assertEquals("{\"error\":\"not authenticated\"}", r.bodyText());
            assertEquals(Optional.of("Bearer realm=\"nest\""), r.header("www-authenticate"));
            FakeHost.Request sent = admin.take();
            assertEquals(PATH + sha(a), sent.target());
            if (header.startsWith("x-nest-cluster-auth: wrong")) {
                assertEquals("wrong", sent.headers().get("x-nest-cluster-auth"), "the admin server sees what was sent");
            }
        }
        assertEquals(List.of(), asked, "no file was opened");
    }

    @ParameterizedTest
    @ValueSource(strings = {"%s/", "%s/x", "%s?x=1", "/api/v1/artifacts/chunks/../chunks/%s", "/api/v1//artifacts/chunks/%s",
            "/API/v1/artifacts/chunks/%s", "/api/v1/artifacts/manifests/%s"})
    void passesOtherTargetsToTheAdminServer(String shape) throws Exception {
        start(Optional.empty());
        byte[] a = chunk(100, 6);
        String target = shape.startsWith("%s") ? PATH + shape.formatted(sha(a)) : shape.formatted(sha(a));
        try (RawClient c = new RawClient(gateway.port())) {
            assertEquals(404, c.request("GET", target, "", PEER).read().status());
            assertEquals(target, admin.take().target());
        }
        assertEquals(List.of(), asked);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", // upper case
            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678", // 63
            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567890", // 65
            "..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd0000000000000000",
            "%2e%2e%2fabcdef0123456789abcdef0123456789abcdef0123456789abcdef012",
            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678g"})
    void neverOpensAFileForAMalformedDigest(String digest) throws Exception {
        start(Optional.empty());
        try (RawClient c = new RawClient(gateway.port())) {
            assertEquals(404, c.request("GET", PATH + digest, "", PEER).read().status());
            assertEquals(PATH + digest, admin.take().target());
        }
        assertEquals(List.of(), asked);
        assertNull(ChunkServer.digest(PATH + digest));
    }

    @Test
    void passesOtherMethodsAndBodiesToTheAdminServer() throws Exception {
        start(Optional.empty());
        byte[] a = chunk(100, 7);
        admin.handler = FakeHost.answer(201, "{}", "content-type", "application/json");
        try (RawClient c = new RawClient(gateway.port())) {
            assertEquals(201, c.request("PUT", PATH + sha(a), "data", PEER).read().status());
            assertEquals("PUT", admin.take().method());
            assertEquals(201, c.request("GET", PATH + sha(a), "data", PEER).read().status());
            assertEquals("data", admin.take().bodyText());
        }
        assertEquals(List.of(), asked);
    }

    @Test
    void passesAMissingChunkToTheAdminServer() throws Exception {
        start(Optional.empty());
        String missing = "ab".repeat(32);
        try (RawClient c = new RawClient(gateway.port())) {
            RawClient.Response r = c.request("GET", PATH + missing, "", PEER).read();
            assertEquals(404, r.status());
            assertEquals("{\"error\":\"chunk not found\"}", r.bodyText(), "the admin server's text");
            FakeHost.Request sent = admin.take();
            assertEquals(PATH + missing, sent.target());
            assertEquals(SECRET, sent.headers().get("x-nest-cluster-auth"));
            // the connection goes on
            byte[] a = chunk(100, 8);
            assertArrayEquals(a, c.request("GET", PATH + sha(a), "", PEER).read().body());
        }
        assertEquals(List.of(missing, sha(chunk(100, 8))), asked);
    }

    @Test
    void closesTheConnectionWhenTheFileIsShorterThanAnnounced() throws Exception {
        start(Optional.empty());
        assertShortBodyAndClose(() -> new RawClient(gateway.port()));
    }

    @Test
    void servesOverTlsFromDirectBuffersAndKeepsTheConnection() throws Exception {
        start(tls());
        byte[] a = chunk(1024 * 1024 + 3, 9);
        byte[] b = chunk(10, 10);
        try (RawClient c = tlsClient()) {
            RawClient.Response r = c.request("GET", PATH + sha(a), "", PEER).read();
            assertEquals(200, r.status());
            assertNull(r.headers().get("connection"));
            assertArrayEquals(a, r.body());
            assertArrayEquals(b, c.request("GET", PATH + sha(b), "", PEER).read().body());
            assertEquals(404, c.request("GET", "/api/v1/functions", "").read().status(), "other answers follow in order");
            assertEquals("/api/v1/functions", admin.take().target());
            assertEquals(200, c.request("HEAD", PATH + sha(a), "", PEER).read(true).status());
            assertArrayEquals(b, c.request("GET", PATH + sha(b), "", PEER).read().body());
        }
    }

    @Test
    void closesATlsConnectionWhenTheFileIsShorterThanAnnounced() throws Exception {
        start(tls());
        assertShortBodyAndClose(this::tlsClient);
    }

    private interface Client {
        RawClient open() throws IOException;
    }

    private void assertShortBodyAndClose(Client client) throws Exception {
        byte[] a = chunk(2 * 1024 * 1024, 11);
        afterOpen = f -> {
            try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
                w.truncate(a.length / 2 + 1);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        try (RawClient c = client.open()) {
            RawClient.Response r = c.request("GET", PATH + sha(a), "", PEER).read();
            assertEquals(200, r.status());
            assertEquals(String.valueOf(a.length), r.header("content-length").orElseThrow(), "the length at open");
            assertTrue(r.body().length < a.length, "a short body: " + r.body().length);
            byte[] prefix = java.util.Arrays.copyOf(a, r.body().length);
            assertArrayEquals(prefix, r.body(), "only the file's own bytes");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void needsTheClusterCredential() {
        Gateway g = new Gateway(new InMemoryCatalog(), new FakeInstanceLeases(), r -> { }, 1024, Clock.systemUTC());
        assertThrows(IllegalStateException.class, () -> g.chunkFiles(sha -> Optional.empty()));
        assertFalse(ChunkServer.digest(PATH + "a".repeat(64)) == null);
    }
}
