package dev.nest.gateway;

import static dev.nest.gateway.FakeInstanceLeases.take;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One client connection on a running {@link EventLoop}, with a dispatcher that answers at once (echoing the
 * request) or holds the request until the test answers it: parsing errors, 100-continue, pipelining,
 * HTTP/1.0, responses without a body, and bodies larger than one read or write.
 */
class ClientConnectionTest {
    private static final long MAX_BODY = 1 << 20;

    /** What the dispatcher saw of one request. */
    record Seen(ClientConnection connection, String method, String target, String body) {
    }

    private final BlockingQueue<Seen> dispatched = new LinkedBlockingQueue<>();
    private volatile boolean hold;
    private Transport transport;
    private EventLoop loop;
    private io.netty.channel.Channel server;

    @BeforeEach
    void setUp() throws IOException {
        transport = new Transport(1, Optional.empty());
        loop = transport.loop(transport.group.next());
        server = transport.listen("127.0.0.1", 0, new Acceptor(100, System::nanoTime), Optional.empty(),
                l -> new ClientConnection(l, this::dispatch, MAX_BODY, dev.nest.config.NestConfig.Gateway.DEFAULTS));
    }

    @AfterEach
    void tearDown() {
        server.close().awaitUninterruptibly();
        transport.close();
    }

    private void dispatch(ClientConnection c) {
        ClientRequest r = c.request;
        dispatched.add(new Seen(c, r.method, r.target, new String(r.body, StandardCharsets.ISO_8859_1)));
        if (!hold) {
            c.respond(200, List.of("x-echo", r.method + " " + r.target), "text/plain", r.body);
        }
    }

    /** A client whose connection the loop serves. */
    private RawClient connect() throws IOException {
        return new RawClient(((InetSocketAddress) server.localAddress()).getPort());
    }

    private Seen next() throws InterruptedException {
        return take(dispatched, "no request was dispatched");
    }

    /** Answers a held request on the loop thread. */
    private void answer(Seen s, int status, String body) {
        loop.execute(() -> s.connection().respond(status, List.of(), null, body.getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # request head                                               | status | error
            NONSENSE\\r\\n\\r\\n                                          | 400    | bad request
            GET / HTTP/2.0\\r\\n\\r\\n                                    | 505    | HTTP version not supported
            POST / HTTP/1.1\\r\\ntransfer-encoding: gzip\\r\\n\\r\\n      | 501    | not implemented
            GET / HTTP/1.1\\r\\nno colon here\\r\\n\\r\\n                 | 400    | bad request
            POST / HTTP/1.1\\r\\ncontent-length: -1\\r\\n\\r\\n           | 400    | bad request
            POST / HTTP/1.1\\r\\ncontent-length: 1\\r\\ncontent-length: 2\\r\\n\\r\\n | 400 | bad request
            POST / HTTP/1.1\\r\\ncontent-length: 2000000\\r\\n\\r\\n      | 413    | request body too large
            POST / HTTP/1.1\\r\\ntransfer-encoding: chunked\\r\\n\\r\\nzz\\r\\n | 400 | bad request
            """)
    void answersARequestItCannotParseAndCloses(String head, int status, String error) throws Exception {
        try (RawClient c = connect()) {
            c.send(head.replace("\\r\\n", "\r\n"));
            RawClient.Response r = c.read();
            assertEquals(status, r.status());
            assertEquals(error, Json.tree(r.body(), "error").path("error").asText());
            assertEquals(Optional.of("close"), r.header("connection"));
            assertEquals(Optional.of("application/json"), r.header("content-type"));
            assertTrue(c.closedByServer());
        }
        assertTrue(dispatched.isEmpty());
    }

    @Test
    void answers431ToAHeadThatNeverEnds() throws Exception {
        byte[] head = new byte[64 * 1024];
        Arrays.fill(head, (byte) 'a');
        byte[] start = "GET / HTTP/1.1\r\nx: ".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(start, 0, head, 0, start.length);
        try (RawClient c = connect()) {
            c.send(head);
            RawClient.Response r = c.read();
            assertEquals(431, r.status());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void sends100ContinueBeforeReadingTheBody() throws Exception {
        try (RawClient c = connect()) {
            c.send("POST /up HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 5\r\n\r\n");
            RawClient.Response cont = c.read();
            assertEquals("HTTP/1.1 100 Continue", cont.statusLine());
            c.send("hello");
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals("hello", r.bodyText());
            assertEquals(Optional.of("POST /up"), r.header("x-echo"));
        }
    }

    @Test
    void servesPipelinedRequestsOneAfterAnother() throws Exception {
        hold = true;
        try (RawClient c = connect()) {
            c.send("GET /1 HTTP/1.1\r\nhost: h\r\n\r\nPOST /2 HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nhost: h\r\n\r\n");
            for (String expected : List.of("GET /1 ", "POST /2 abc", "GET /3 ")) {
                Seen s = next();
                assertEquals(expected, s.method() + " " + s.target() + " " + s.body());
                assertTrue(dispatched.isEmpty(), "the next request waits for this answer");
                answer(s, 200, "answer to " + s.target());
                assertEquals("answer to " + s.target(), c.read().bodyText());
            }
        }
    }

    @Test
    void answersHttp10InKindAndClosesUnlessAskedToKeepAlive() throws Exception {
        try (RawClient c = connect()) {
            RawClient.Response r = c.send("GET /a HTTP/1.0\r\n\r\n").read();
            assertTrue(r.statusLine().startsWith("HTTP/1.0 200"), r.statusLine());
            assertEquals(Optional.of("close"), r.header("connection"));
            assertTrue(c.closedByServer());
        }
        try (RawClient c = connect()) {
            RawClient.Response r = c.send("GET /a HTTP/1.0\r\nconnection: keep-alive\r\n\r\n").read();
            assertEquals(Optional.of("keep-alive"), r.header("connection"));
            assertEquals(200, c.send("GET /b HTTP/1.0\r\nconnection: keep-alive\r\n\r\n").read().status());
        }
    }

    @Test
    void keepsAnHttp11ConnectionUnlessTheClientSaysClose() throws Exception {
        try (RawClient c = connect()) {
            assertEquals(200, c.send("GET /a HTTP/1.1\r\nhost: h\r\nConnection: Keep-Alive, Close\r\n\r\n").read().status());
            assertTrue(c.closedByServer(), "close among the Connection tokens, in any case, ends the connection");
        }
        try (RawClient c = connect()) {
            assertEquals(200, c.send("GET /a HTTP/1.1\r\nhost: h\r\nconnection: upgrade\r\n\r\n").read().status());
            assertEquals(200, c.send("GET /b HTTP/1.1\r\nhost: h\r\n\r\n").read().status());
        }
    }

    @Test
    void writesNoLengthOrBodyWith204() throws Exception {
        hold = true;
        try (RawClient c = connect()) {
            c.send("GET /empty HTTP/1.1\r\nhost: h\r\n\r\n");
            answer(next(), 204, "ignored");
            RawClient.Response r = c.read();
            assertEquals(204, r.status());
            assertEquals(Optional.empty(), r.header("content-length"));
            c.send("GET /next HTTP/1.1\r\nhost: h\r\n\r\n");
            answer(next(), 200, "next");
            assertEquals("next", c.read().bodyText(), "the connection is still in step");
        }
    }

    @Test
    void readsAndWritesBodiesLargerThanOneBuffer() throws Exception {
        byte[] body = new byte[(int) MAX_BODY];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + i % 26);
        }
        try (RawClient c = connect()) {
            c.send("PUT /big HTTP/1.1\r\nhost: h\r\ncontent-length: " + body.length + "\r\n\r\n");
            c.send(body);
            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals(body.length, r.body().length);
            assertTrue(Arrays.equals(body, r.body()));
            assertEquals(200, c.send("GET /after HTTP/1.1\r\nhost: h\r\n\r\n").read().status());
        }
    }
}
