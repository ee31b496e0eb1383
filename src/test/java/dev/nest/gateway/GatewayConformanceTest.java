package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nest.config.NestConfig;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The public port's conformance table (RFC 9112 framing) and its defences against slow, idle and too many clients,
 * checked only through the socket, so that it holds for any implementation of the gateway: a real gateway on a
 * loopback port, fake instance leases whose runtime host is a {@link FakeHost}.
 */
class GatewayConformanceTest {
    /** Small timeouts, so that the tests of them are short; 5 connections at most. */
    private static final NestConfig.Gateway LIMITS = new NestConfig.Gateway(Duration.ofSeconds(1),
            Duration.ofMillis(500), Duration.ofMillis(500), 1024, 5);

    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private final FakeInstanceLeases leases = new FakeInstanceLeases();
    private FakeHost host;
    private FakeHost admin;
    private Gateway gateway;

    @BeforeEach
    void setUp() throws IOException {
        host = new FakeHost();
        admin = new FakeHost();
        deploy(FunctionId.of("default", "echo"));
        deploy(FunctionId.of("default", "x")); // what an empty namespace would wrongly name
        leases.serveAtOnce("echo-1", host.port());
        gateway = start(LIMITS);
    }

    @AfterEach
    void tearDown() throws IOException {
        gateway.close();
        host.close();
        admin.close();
    }

    private Gateway start(NestConfig.Gateway limits) throws IOException {
        Gateway g = new Gateway(catalog, leases, r -> { }, 1024, Clock.systemUTC(), PeerRoutes.LOCAL_ONLY,
                InvokeAuth.UNAVAILABLE, java.util.Optional.empty(), limits);
        g.start("127.0.0.1", 0, admin.port(), 1);
        return g;
    }

    private void deploy(FunctionId id) {
        FunctionSpec spec = new FunctionSpec(id, "fake", "", 128, Duration.ofSeconds(5), 1, Map.of(),
                new ScalingSpec(0, 1, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)));
        catalog.put(FunctionRecord.empty(id, "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", Instant.EPOCH, true));
    }

    static Stream<Arguments> malformed() {
        String post = "POST /fn/echo HTTP/1.1\r\nHost: g\r\n";
        String smuggled = "GET /fn/echo/smuggled HTTP/1.1\r\nHost: g\r\n\r\n";
        return Stream.of(
                row("CL and TE, a smuggled request after", post + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "0\r\n\r\n" + smuggled, 400, true),
                row("TE and CL, a smuggled request after", post + "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n"
                        + "0\r\n\r\n" + smuggled, 400, true),
                row("unknown coding xchunked", post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501, true),
                row("stacked codings gzip, chunked", post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, true),
                row("two Transfer-Encoding headers", post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "0\r\n\r\n", 501, true),
                row("chunked in HTTP/1.0", "POST /fn/echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, true),
                row("Content-Length with a sign", post + "Content-Length: +5\r\n\r\nhello", 400, true),
                row("Content-Length with a space inside", post + "Content-Length: 5 5\r\n\r\nhello", 400, true),
                row("Content-Length as a list", post + "Content-Length: 5,5\r\n\r\nhello", 400, true),
                row("Content-Length in hex", post + "Content-Length: 0x5\r\n\r\nhello", 400, true),
                row("two different Content-Lengths", post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, true),
                row("chunk data without its CRLF", post + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n", 400, true),
                row("chunk size with a sign", post + "Transfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n", 400, true),
                row("space before the colon", post + "Content-Length : 5\r\n\r\nhello", 400, true),
                row("non-token header name", post + "X(a): 1\r\nContent-Length: 0\r\n\r\n", 400, true),
                row("control character in a value", post + "X-A: a\u0001b\r\nContent-Length: 0\r\n\r\n", 400, true),
                row("HTTP/1.1 without Host", "GET /fn/echo HTTP/1.1\r\n\r\n", 400, true),
                row("two Host headers", "GET /fn/echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, true),
                row("a space in the target", "GET /fn/echo x HTTP/1.1\r\nHost: g\r\n\r\n", 400, true),
                row("HTTP/2.0 on an HTTP/1 port", "GET /fn/echo HTTP/2.0\r\nHost: g\r\n\r\n", 505, true),
                row("empty namespace segment", "GET /ns//fn/x HTTP/1.1\r\nHost: g\r\n\r\n", 404, false),
                row("empty function name", "GET /fn//x HTTP/1.1\r\nHost: g\r\n\r\n", 404, false),
                row("an extra namespace segment", "GET /ns/a/b/fn/x HTTP/1.1\r\nHost: g\r\n\r\n", 404, false));
    }

    private static Arguments row(String name, String raw, int status, boolean closes) {
        return Arguments.of(name, raw, status, closes);
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("malformed")
    void refusesAMalformedRequestAndReachesNoFunction(String name, String raw, int status, boolean closes) throws Exception {
        try (RawClient c = new RawClient(gateway.port())) {
            RawClient.Response r = c.send(raw).read();
            assertEquals(status, r.status(), name + ": " + r.bodyText());
            if (closes) {
                assertEquals("close", r.header("connection").orElse(""), name);
                assertTrue(c.closedByServer(), name + ": the connection must close");
            }
        }
        // the gateway answered, then closed: nothing it read (a smuggled request included) reaches a host later
        assertTrue(host.requests.isEmpty(), name + ": a request reached the function: " + host.requests.peek());
    }

    @Test
    void aWellFormedRequestStillWorksAfterTheTable() throws Exception {
        try (RawClient c = new RawClient(gateway.port())) {
            assertEquals(200, c.send("POST /fn/echo HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3;x=1\r\nabc\r\n0\r\n\r\n").read().status());
            assertEquals("abc", host.take().bodyText());
        }
    }

    @Test
    void obsoleteLineFoldingIsReplacedByASpaceAndNeverReachesAHost() throws Exception {
        // RFC 9112 section 5.2 lets a server either refuse a fold with 400 or replace it with spaces before it uses
        // or forwards the value; the decoder does the second, so no host ever sees a fold
        try (RawClient c = new RawClient(gateway.port())) {
            assertEquals(200, c.send("POST /fn/echo HTTP/1.1\r\nHost: g\r\nX-A: a\r\n folded\r\nContent-Length: 0\r\n\r\n")
                    .read().status());
            assertEquals("a folded", host.take().headers().get("x-a"));
        }
    }

    @Test
    void aSlowlorisClientIsClosedAtTheHeaderTimeout() throws Exception {
        try (Socket s = socket()) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] trickle = "GET /fn/echo HTTP/1.1\r\nHost: g\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".getBytes(
                    StandardCharsets.ISO_8859_1);
            long t0 = System.nanoTime();
            boolean cut = false;
            for (int i = 0; i < trickle.length && !cut; i++) { // 30+ bytes at 200 ms: 6 s, far beyond the 1 s allowed
                try {
                    out.write(trickle[i]);
                    out.flush();
                } catch (IOException e) {
                    cut = true;
                    break;
                }
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                while (System.nanoTime() < until && in.available() == 0) {
                    Thread.onSpinWait();
                    Thread.sleep(5);
                }
                cut = in.available() > 0;
            }
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(cut, "the slow client was still connected after " + elapsed + " ms");
            assertTrue(elapsed >= 900 && elapsed < 3_000, "closed after " + elapsed + " ms; header-timeout is 1 s");
            assertAnsweredThenClosed(in, 408);
        }
        assertTrue(host.requests.isEmpty());
    }

    @Test
    void aHalfSentBodyIsClosedWhenItStopsArriving() throws Exception {
        try (Socket s = socket()) {
            s.getOutputStream().write("POST /fn/echo HTTP/1.1\r\nHost: g\r\nContent-Length: 100\r\n\r\nabc"
                    .getBytes(StandardCharsets.ISO_8859_1));
            long t0 = System.nanoTime();
            assertAnsweredThenClosed(s.getInputStream(), 408);
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(elapsed >= 400 && elapsed < 3_000, "closed after " + elapsed + " ms; body-timeout is 500 ms");
        }
        assertTrue(host.requests.isEmpty());
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        try (RawClient c = new RawClient(gateway.port())) {
            assertEquals(200, c.request("GET", "/fn/echo", "").read().status());
            long t0 = System.nanoTime();
            assertTrue(c.closedByServer());
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(elapsed >= 400 && elapsed < 3_000, "closed after " + elapsed + " ms; idle-timeout is 500 ms");
        }
    }

    @Test
    void beyondMaxConnectionsANewOneIsClosedAtOnceWhileTheOthersAreServed() throws Exception {
        gateway.close();
        gateway = start(new NestConfig.Gateway(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(5), 1024, 5));
        List<RawClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                RawClient c = new RawClient(gateway.port());
                open.add(c);
                assertEquals(200, c.request("GET", "/fn/echo", "").read().status());
            }
            try (RawClient sixth = new RawClient(gateway.port())) {
                long t0 = System.nanoTime();
                assertClosedWithoutAnswer(sixth);
                assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 2_000, "the 6th waited");
            }
            assertEquals(200, open.getFirst().request("GET", "/fn/echo", "").read().status(),
                    "an existing client is still served");
            open.removeLast().close();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(FakeHost.BOUND_S);
            while (true) { // the gateway notices the close on its own loop: a new client is served soon after
                try (RawClient again = new RawClient(gateway.port())) {
                    if (again.request("GET", "/fn/echo", "").read().status() == 200) {
                        break;
                    }
                } catch (IOException e) {
                    if (System.nanoTime() > until) {
                        fail("no new connection was served after one of the 5 closed");
                    }
                    Thread.sleep(20);
                }
            }
        } finally {
            for (RawClient c : open) {
                c.close();
            }
        }
    }

    private static void assertClosedWithoutAnswer(RawClient c) {
        try {
            assertTrue(c.closedByServer(), "the connection beyond max-connections got bytes");
        } catch (IOException reset) {
            // closed at once: a reset is as good as an end of stream
        }
    }

    private Socket socket() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.port());
        s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(FakeHost.BOUND_S));
        return s;
    }

    /** Reads a {@code status} answer, or a reset (the client was still writing when the gateway closed), then the end. */
    private static void assertAnsweredThenClosed(InputStream in, int status) throws IOException {
        try {
            String line = FakeHost.line(in);
            assertTrue(line != null && line.startsWith("HTTP/1.1 " + status), "answer: " + line);
            Map<String, String> headers = FakeHost.headers(in);
            assertEquals("close", headers.get("connection"));
            in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            assertEquals(-1, in.read(), "the connection must close");
        } catch (java.net.SocketException reset) {
            // closed while the client was writing: the kernel may report a reset instead of the answer
        }
    }
}
