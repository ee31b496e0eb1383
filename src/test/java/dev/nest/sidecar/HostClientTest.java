package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostClientTest {
    private static final String SECRET = "s3cret";
    /** A bound so a broken test fails instead of hanging; never a timing assertion. */
    private static final long CALL_MS = 5_000;

    private ScriptedHost host;
    private HostClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        if (host != null) {
            host.close();
        }
    }

    private HostClient start(Reply... script) throws IOException {
        host = new ScriptedHost(script);
        client = new HostClient("127.0.0.1", host.port(), SECRET);
        return client;
    }

    private static Reply ok(String body) {
        return Reply.keep("HTTP/1.1 200 OK\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\nContent-Type: text/plain\r\n\r\n" + body);
    }

    private HostClient.Response get(String target) throws IOException {
        return client.call("GET", target, null, CALL_MS);
    }

    private static HostClient.HeaderSource headers(String... namesAndValues) {
        return sink -> {
            for (int i = 0; i < namesAndValues.length; i += 2) {
                sink.header(namesAndValues[i], namesAndValues[i + 1]);
            }
        };
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CALL_MS);
    }

    // ---- bodies ----------------------------------------------------------------------------------------

    @Test
    void readsAContentLengthBodyAndSendsTheRequest() throws Exception {
        start(Reply.keep("HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: b\r\nDate: today\r\nKeep-Alive: timeout=5\r\n"
                + "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhello"));
        byte[] body = "{\"x\":1}".getBytes(StandardCharsets.UTF_8);
        HostClient.Response r = client.forward("POST", "/invoke?x=1&y=%20", headers(), "inv-1", 1234L, body, deadline());
        assertEquals(201, r.status());
        assertEquals("hello", r.bodyText());
        assertEquals(List.of("X-A", "b", "Set-Cookie", "a=1", "Set-Cookie", "b=2"), r.headers(),
                "framing headers, Date and Keep-Alive are not passed on; repeated headers are kept in order");
        assertEquals("b", r.header("x-a").orElseThrow());

        Request req = host.next();
        assertEquals("POST /invoke?x=1&y=%20 HTTP/1.1", req.line());
        assertEquals(List.of("127.0.0.1:" + host.port()), req.values("Host"));
        assertEquals(List.of(String.valueOf(body.length)), req.values("Content-Length"));
        assertArrayEquals(body, req.body());
    }

    @Test
    void readsAChunkedBodyAndReusesTheConnectionAfterIt() throws Exception {
        start(Reply.keep("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhello\r\n7;ext=1\r\n, world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"),
                ok("second"));
        HostClient.Response r = get("/a");
        assertEquals("hello, world0123456789", r.bodyText());
        assertTrue(r.header("Transfer-Encoding").isEmpty());
        assertEquals("second", get("/b").bodyText(), "the chunked body and its trailers were read to the end");
        assertEquals(1, host.accepted.get());
    }

    @Test
    void sendsALargeBodyIntact() throws Exception {
        start(ok("done"));
        byte[] body = new byte[100_000];
        new Random(42).nextBytes(body);
        assertEquals("done", client.call("POST", "/load", body, CALL_MS).bodyText());
        assertArrayEquals(body, host.next().body());
    }

    @Test
    void readsABodyThatEndsWithTheConnection() throws Exception {
        start(Reply.close("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"), ok("next"));
        assertEquals("until the end", get("/a").bodyText());
        assertEquals("next", get("/b").bodyText());
        assertEquals(2, host.accepted.get(), "a body read to the end of the connection leaves no connection to reuse");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "HEAD, 200",
            "GET, 204",
            "GET, 304",
    })
    void answersWithoutABodyLeaveTheConnectionReusable(String method, int status) throws Exception {
        // a HEAD answer carries the Content-Length of the body it does not send
        start(Reply.keep("HTTP/1.1 " + status + " X\r\nContent-Length: 5\r\n\r\n"), ok("next"));
        HostClient.Response r = client.call(method, "/a", null, CALL_MS);
        assertEquals(status, r.status());
        assertEquals(0, r.body().length);
        assertEquals("next", get("/b").bodyText());
        assertEquals(1, host.accepted.get());
    }

    // ---- connections -----------------------------------------------------------------------------------

    @Test
    void keepAliveReusesOneConnection() throws Exception {
        start(ok("one"), ok("two"), ok("three"));
        assertEquals("one", get("/1").bodyText());
        assertEquals("two", get("/2").bodyText());
        assertEquals("three", get("/3").bodyText());
        assertEquals(1, host.accepted.get());
        assertEquals(List.of(1, 1, 1), List.of(host.next().connection(), host.next().connection(), host.next().connection()));
    }

    @RepeatedTest(5)
    void anIdleConnectionClosedByTheHostIsRetriedOnAFreshOne() throws Exception {
        // the host answers as if it kept the connection, then closes it while it sits in the pool
        start(Reply.close("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"), ok("two"));
        assertEquals("one", get("/1").bodyText());
        host.awaitClosedConnections(1);
        assertEquals("two", get("/2").bodyText());
        assertEquals(2, host.accepted.get());
        assertEquals(1, host.next().connection());
        assertEquals(2, host.next().connection(), "the retry went to a fresh connection");
    }

    @Test
    void aFreshConnectionClosedWithoutAnAnswerIsReportedNotRetried() throws Exception {
        start(Reply.close(""), ok("never"));
        assertThrows(EOFException.class, () -> get("/1"));
        assertEquals(1, host.accepted.get());
    }

    @ParameterizedTest(name = "{0} Connection: {1} -> reused {2}")
    @CsvSource({
            "HTTP/1.1, '', true",
            "HTTP/1.1, keep-alive, true",
            "HTTP/1.1, close, false",
            "HTTP/1.1, Close, false",
            "HTTP/1.0, '', false",
            "HTTP/1.0, keep-alive, true",
            "HTTP/1.0, close, false",
    })
    void theConnectionIsReusedOnlyWhenTheHostAllowsIt(String version, String connection, boolean reused)
            throws Exception {
        // the host keeps its end open either way: only the answer's headers decide
        start(Reply.keep(version + " 200 OK\r\nContent-Length: 3\r\n"
                + (connection.isEmpty() ? "" : "Connection: " + connection + "\r\n") + "\r\none"), ok("two"));
        assertEquals("one", get("/1").bodyText());
        assertEquals("two", get("/2").bodyText());
        assertEquals(reused ? 1 : 2, host.accepted.get());
    }

    @Test
    void closeDropsPooledConnections() throws Exception {
        start(ok("one"));
        get("/1");
        client.close();
        host.awaitClosedByClient(1);
    }

    // ---- deadlines -------------------------------------------------------------------------------------

    @ParameterizedTest(name = "host sends ''{0}'' then nothing")
    @CsvSource(delimiter = '|', value = {
            "''",
            "HTTP/1.1 200 OK\\r\\nContent-Length: 10\\r\\n\\r\\nhalf",
    })
    void anAnswerThatDoesNotCompleteTimesOutAtTheDeadline(String partial) throws Exception {
        start(Reply.hang(partial.replace("\\r\\n", "\r\n")), ok("fresh"));
        HostClient.TimeoutException e = assertThrows(HostClient.TimeoutException.class,
                () -> client.forward("GET", "/slow", headers(), "inv-1", 0, null, System.nanoTime() + 200_000_000L));
        assertTrue(e.getMessage().contains(String.valueOf(host.port())), e.getMessage());
        assertEquals("fresh", get("/next").bodyText());
        assertEquals(2, host.accepted.get(), "a timed-out connection is not reused");
    }

    @Test
    void aDeadlineAlreadyPassedTimesOut() throws Exception {
        start(ok("late"));
        assertThrows(HostClient.TimeoutException.class, () -> client.call("GET", "/", null, 0));
    }

    // ---- request headers -------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}: {1} -> forwarded {2}")
    @CsvSource({
            "X-Custom, 1, true",
            "Accept, text/plain, true",
            "Authorization, Bearer t, true",
            "Cookie, a=b, true",
            "Content-Type, application/json, true",
            "X-Forwarded-For, 10.1.2.3, true",
            "Trailer-Info, x, true",
            "Hostname, h, true",
            "Host, evil.example, false",
            "host, evil.example, false",
            "Connection, keep-alive, false",
            "Keep-Alive, timeout=5, false",
            "Transfer-Encoding, chunked, false",
            "TE, trailers, false",
            "Trailer, X-Sum, false",
            "Upgrade, websocket, false",
            "Proxy-Authorization, Basic x, false",
            "Proxy-Connection, keep-alive, false",
            "Content-Length, 999, false",
            "X-Nest-Secret, forged, false",
            "x-nest-invocation-id, forged, false",
            "X-Nest-Deadline, 1, false",
            "X-Nest-Anything, 1, false",
    })
    void forwardsEndToEndHeadersOnly(String name, String value, boolean forwarded) throws Exception {
        start(ok("x"));
        client.forward("POST", "/", headers(name, value), "inv-42", 1_700_000_000_123L, "abc".getBytes(), deadline());
        Request req = host.next();
        List<String> seen = req.values(name);
        if (forwarded) {
            assertEquals(List.of(value), seen);
        } else {
            assertFalse(seen.contains(value), name + " was forwarded: " + req.headers());
        }
        // what the client itself sends is there exactly once, whatever the caller passed
        assertEquals(List.of(SECRET), req.values("X-Nest-Secret"));
        assertEquals(List.of("inv-42"), req.values("X-Nest-Invocation-Id"));
        assertEquals(List.of("1700000000123"), req.values("X-Nest-Deadline"));
        assertEquals(List.of("127.0.0.1:" + host.port()), req.values("Host"));
        assertEquals(List.of("3"), req.values("Content-Length"));
        assertEquals(List.of(), req.values("Transfer-Encoding"));
    }

    @Test
    void forwardsEveryEndToEndHeaderInOrder() throws Exception {
        start(ok("x"));
        client.forward("GET", "/", headers("A", "1", "Connection", "close", "B", "2", "A", "3"), "i", 1, null, deadline());
        Request req = host.next();
        List<String> names = req.headers().stream().map(h -> h[0]).toList();
        assertEquals(List.of("Host", "X-Nest-Secret", "X-Nest-Invocation-Id", "X-Nest-Deadline", "A", "B", "A",
                "Content-Length"), names);
        assertEquals(List.of("1", "3"), req.values("A"));
    }

    @Test
    void lineBreaksInAHeaderValueCannotAddHeaders() throws Exception {
        start(ok("x"));
        client.forward("GET", "/", headers("X-Custom", "a\r\nX-Nest-Secret: forged\nX-Other: y"), "inv-1", 1, null,
                deadline());
        Request req = host.next();
        assertEquals(List.of(SECRET), req.values("X-Nest-Secret"));
        assertEquals(List.of(), req.values("X-Other"));
        assertEquals(List.of("aX-Nest-Secret: forgedX-Other: y"), req.values("X-Custom"));
    }

    @Test
    void nonAsciiHeaderValuesAreSentAsUtf8() throws Exception {
        start(ok("x"));
        client.forward("GET", "/", headers("X-Name", "Zoë ✓"), "inv-1", 1, null, deadline());
        assertEquals(List.of("Zoë ✓"), host.next().values("X-Name"));
    }

    @Test
    void controlCallsSendTheSecretButNoInvocationHeaders() throws Exception {
        start(ok("{}"));
        client.call("POST", "/load", "{}".getBytes(), CALL_MS);
        Request req = host.next();
        assertEquals("POST /load HTTP/1.1", req.line());
        assertEquals(List.of(SECRET), req.values("X-Nest-Secret"));
        assertEquals(List.of(), req.values("X-Nest-Invocation-Id"));
        assertEquals(List.of(), req.values("X-Nest-Deadline"));
        assertEquals("{}", new String(req.body(), StandardCharsets.UTF_8));
    }

    // ---- the scripted host -----------------------------------------------------------------------------

    /** One request as the host read it; {@code connection} numbers the accepted connections from 1. */
    record Request(String line, List<String[]> headers, byte[] body, int connection) {
        List<String> values(String name) {
            return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).toList();
        }
    }

    /** What the host does with the next request: write {@code bytes}, then keep, close or hold the connection. */
    record Reply(byte[] bytes, After after) {
        enum After { KEEP, CLOSE, HANG }

        static Reply keep(String raw) {
            return new Reply(raw.getBytes(StandardCharsets.UTF_8), After.KEEP);
        }

        /** Answers, then closes the connection (the answer may or may not have said so). */
        static Reply close(String raw) {
            return new Reply(raw.getBytes(StandardCharsets.UTF_8), After.CLOSE);
        }

        /** Writes {@code raw} and then nothing more until the host is closed. */
        static Reply hang(String raw) {
            return new Reply(raw.getBytes(StandardCharsets.UTF_8), After.HANG);
        }
    }

    /**
     * A runtime host on 127.0.0.1 that answers each request with the next scripted {@link Reply}. One thread
     * accepts; each connection is served on its own thread.
     */
    static final class ScriptedHost implements AutoCloseable {
        private final ServerSocket server;
        private final BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
        private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
        private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
        private final CountDownLatch stopped = new CountDownLatch(1);
        private final Semaphore closedByHost = new Semaphore(0);
        private final Semaphore closedByClient = new Semaphore(0);
        final AtomicInteger accepted = new AtomicInteger();

        ScriptedHost(Reply... script) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            replies.addAll(Arrays.asList(script));
            Thread.ofPlatform().daemon().name("scripted-host").start(this::accept);
        }

        int port() {
            return server.getLocalPort();
        }

        Request next() throws InterruptedException {
            Request r = requests.poll(CALL_MS, TimeUnit.MILLISECONDS);
            if (r == null) {
                throw new AssertionError("the host received no request");
            }
            return r;
        }

        void awaitClosedConnections(int n) throws InterruptedException {
            assertTrue(closedByHost.tryAcquire(n, CALL_MS, TimeUnit.MILLISECONDS), "host closed a connection");
        }

        void awaitClosedByClient(int n) throws InterruptedException {
            assertTrue(closedByClient.tryAcquire(n, CALL_MS, TimeUnit.MILLISECONDS), "client closed its connection");
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    sockets.add(s);
                    int n = accepted.incrementAndGet();
                    Thread.ofPlatform().daemon().name("scripted-host-" + n).start(() -> serve(s, n));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s, int connection) {
            try (s) {
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                while (true) {
                    Request r = read(in, connection);
                    if (r == null) {
                        closedByClient.release();
                        return;
                    }
                    requests.add(r);
                    Reply reply = replies.poll(CALL_MS, TimeUnit.MILLISECONDS);
                    if (reply == null) {
                        return;
                    }
                    out.write(reply.bytes());
                    out.flush();
                    switch (reply.after()) {
                        case KEEP -> {
                        }
                        case CLOSE -> {
                            s.close();
                            closedByHost.release();
                            return;
                        }
                        case HANG -> {
                            stopped.await();
                            return;
                        }
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the connection ends
            }
        }

        private static Request read(InputStream in, int connection) throws IOException {
            String line = line(in);
            if (line == null) {
                return null;
            }
            List<String[]> headers = new ArrayList<>();
            int length = 0;
            String h;
            while ((h = line(in)) != null && !h.isEmpty()) {
                int colon = h.indexOf(':');
                String name = h.substring(0, colon);
                String value = h.substring(colon + 1).trim();
                headers.add(new String[] {name, value});
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Integer.parseInt(value);
                }
            }
            return new Request(line, headers, in.readNBytes(length), connection);
        }

        /** A CRLF-terminated line decoded as UTF-8, or null at the end of the stream. */
        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    byte[] bytes = b.toByteArray();
                    int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, n, StandardCharsets.UTF_8);
                }
                b.write(c);
            }
            return null;
        }

        @Override
        public void close() {
            stopped.countDown();
            try {
                server.close();
            } catch (IOException ignored) {
                // closing
            }
            synchronized (sockets) {
                for (Socket s : sockets) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }
        }
    }

    @Test
    void encodesAnInvocationHeadIntoAReusedBuffer() {
        HostClient c = new HostClient("127.0.0.1", 4321, SECRET);
        HostClient.Head head = new HostClient.Head();
        c.encodeInvocation(head, "POST", "i-1", "/a?b=c", List.of("Host", "example.org", "Connection", "close",
                "Content-Length", "99", "X-Nest-Secret", "forged", "Accept", "*/*", "X-Long", "v".repeat(3000)),
                "inv-7", 1_700_000_000_123L, 12);
        assertEquals("POST /invoke/i-1/a?b=c HTTP/1.1\r\nHost: example.org\r\nX-Nest-Secret: s3cret\r\n"
                + "X-Nest-Invocation-Id: inv-7\r\nX-Nest-Deadline: 1700000000123\r\nAccept: */*\r\n"
                + "X-Long: " + "v".repeat(3000) + "\r\nContent-Length: 12\r\n\r\n", text(head));
        // a shorter request in the same buffer: nothing of the first one is left, the pod's address is the Host
        c.encodeInvocation(head, "GET", "i-1", "/", List.of("accept", "text/plain"), "inv-8", 0, 0);
        assertEquals("GET /invoke/i-1/ HTTP/1.1\r\nHost: 127.0.0.1:4321\r\nX-Nest-Secret: s3cret\r\n"
                + "X-Nest-Invocation-Id: inv-8\r\nX-Nest-Deadline: 0\r\naccept: text/plain\r\n"
                + "Content-Length: 0\r\n\r\n", text(head));
    }

    @Test
    void theClientsHostIsSentAsUtf8WithoutLineBreaks() {
        HostClient c = new HostClient("127.0.0.1", 4321, SECRET);
        HostClient.Head head = new HostClient.Head();
        c.encodeInvocation(head, "GET", "i", "/", List.of("HOST", "b\u00fccher.example\r\nX-Evil: 1"), "i", 5, 0);
        assertEquals("GET /invoke/i/ HTTP/1.1\r\nHost: b\u00fccher.exampleX-Evil: 1\r\nX-Nest-Secret: s3cret\r\n"
                + "X-Nest-Invocation-Id: i\r\nX-Nest-Deadline: 5\r\nContent-Length: 0\r\n\r\n", text(head));
    }

    private static String text(HostClient.Head head) {
        return new String(head.bytes(), 0, head.length(), StandardCharsets.UTF_8);
    }
}
