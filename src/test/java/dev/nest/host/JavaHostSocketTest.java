package dev.nest.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.runtime.JavaFunctionCompiler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java host on its Unix domain socket ({@link UnixSocketHttpServer}, {@link RequestHead}, {@link SocketExchange}):
 * bound before the port, the same routes and secret as the port, keep-alive with Content-Length framing, and a
 * table of malformed requests each refused with its status and a closed connection.
 */
class JavaHostSocketTest {
    private static final String SECRET = "socket-secret-1";

    @TempDir
    static Path tmp;
    private static JavaHost host;
    private static Path socket;

    @BeforeAll
    static void start() throws Exception {
        Path fns = Files.createDirectories(tmp.resolve("fns"));
        Files.writeString(fns.resolve("Echo.java"), """
                import dev.nest.fn.Context;
                import java.util.Map;
                public class Echo {
                    public Object handle(Map<String, Object> event, Context ctx) {
                        return Map.of("method", event.get("method"), "path", event.get("path"),
                                "body", String.valueOf(event.get("body")), "query", String.valueOf(event.get("query")));
                    }
                }
                """);
        JavaFunctionCompiler.Result r = new JavaFunctionCompiler(JavaHostTest.apiClasspath()).compile(fns, fns.resolve("classes"));
        assertTrue(r.ok(), () -> r.errors().toString());
        socket = tmp.resolve("nest-host.sock");
        Files.writeString(tmp.resolve("placeholder"), "");
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream logs = new PrintStream(sink, true, StandardCharsets.UTF_8);
        host = JavaHost.start(HostSettings.local(0, SECRET).withLogSinks(logs, logs), false, Optional.of(socket));
        // loaded over TCP, as the node agent does
        Map<String, Object> load = new LinkedHashMap<>();
        load.put("id", "e-1");
        load.put("function", "default/echo");
        load.put("version", "1");
        load.put("codeDir", fns.resolve("classes").toString());
        load.put("handler", "Echo");
        load.put("limits", Map.of("memoryMb", 128, "timeoutMs", 30000, "concurrency", 4));
        HttpResponse<String> loaded = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + host.port() + "/load")).timeout(Duration.ofSeconds(30))
                .header("X-Nest-Secret", SECRET).POST(HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(load))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, loaded.statusCode(), loaded::body);
    }

    @AfterAll
    static void stop() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void theSocketIsThereWhenTheHostIsStartedAndGoneWhenItCloses() throws Exception {
        assertEquals(Optional.of(socket), host.socket());
        int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertEquals(0140000, mode & 0170000, "a socket file");
    }

    @Test
    void aStaleSocketIsReplacedAndAnotherFileIsNot() throws Exception {
        Path other = tmp.resolve("stale.sock");
        try (UnixSocketHttpServer first = UnixSocketHttpServer.bind(other, System.err)) {
            // a host that died leaves its socket file behind: the next one binds over it
            try (UnixSocketHttpServer second = UnixSocketHttpServer.bind(other, System.err)) {
                assertTrue(Files.exists(other, LinkOption.NOFOLLOW_LINKS));
            }
        }
        Path file = tmp.resolve("regular");
        Files.writeString(file, "x");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> UnixSocketHttpServer.bind(file, System.err));
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
        assertEquals("x", Files.readString(file));
    }

    @Test
    void invocationsAndHealthShareOneKeptAliveConnection() throws Exception {
        try (Client c = new Client()) {
            Reply health = c.exchange("GET /health HTTP/1.1\r\nHost: h\r\nX-Nest-Secret: " + SECRET + "\r\n\r\n");
            assertEquals(200, health.status, health.body);
            assertTrue(health.body.contains("\"ready\":true"), health.body);
            String body = "{\"a\":1}";
            Reply invoked = c.exchange("POST /invoke/e-1/users/7?x=1 HTTP/1.1\r\nHost: h\r\nX-Nest-Secret: " + SECRET
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            assertEquals(200, invoked.status, invoked.body);
            Map<?, ?> m = (Map<?, ?>) Json.parse(invoked.body.getBytes(StandardCharsets.UTF_8));
            assertEquals("POST", m.get("method"));
            assertEquals("/users/7", m.get("path"));
            assertEquals(body, m.get("body"));
            assertEquals("{x=1}", m.get("query"));
            // a body the handler never read is skipped: the next request on the connection still parses
            Reply unread = c.exchange("POST /health HTTP/1.1\r\nX-Nest-Secret: " + SECRET
                    + "\r\nContent-Length: 5\r\n\r\nhello");
            assertEquals(405, unread.status, unread.body);
            Reply again = c.exchange("GET /invoke/e-1/ HTTP/1.1\r\nX-Nest-Secret: " + SECRET + "\r\n\r\n");
            assertEquals(200, again.status, again.body);
            assertTrue(again.body.contains("\"body\":\"null\""), again.body);
        }
    }

    @Test
    void theSecretIsRequiredOnTheSocketToo() throws Exception {
        try (Client c = new Client()) {
            Reply r = c.exchange("GET /health HTTP/1.1\r\nX-Nest-Secret: wrong\r\n\r\n");
            assertEquals(401, r.status);
            assertEquals("unauthorized", r.headers.get("x-nest-error"));
        }
    }

    @Test
    void connectionCloseIsHonoured() throws Exception {
        try (Client c = new Client()) {
            Reply r = c.exchange("GET /health HTTP/1.1\r\nConnection: close\r\nX-Nest-Secret: " + SECRET + "\r\n\r\n");
            assertEquals(200, r.status);
            assertEquals("close", r.headers.get("connection"));
            assertTrue(c.closed());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "Transfer-Encoding                 | POST /invoke/e-1/ HTTP/1.1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n | 501",
        "Content-Length and TE             | POST /invoke/e-1/ HTTP/1.1\\r\\nContent-Length: 5\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n | 501",
        "a sign in Content-Length          | POST /invoke/e-1/ HTTP/1.1\\r\\nContent-Length: +5\\r\\n\\r\\nhello | 400",
        "two different Content-Lengths     | POST /invoke/e-1/ HTTP/1.1\\r\\nContent-Length: 5\\r\\nContent-Length: 6\\r\\n\\r\\nhello | 400",
        "a space before the colon          | GET /health HTTP/1.1\\r\\nContent-Length : 0\\r\\n\\r\\n | 400",
        "a folded header                   | GET /health HTTP/1.1\\r\\nX-A: 1\\r\\n  2\\r\\n\\r\\n | 400",
        "a bare LF                         | GET /health HTTP/1.1\\nX-A: 1\\r\\n\\r\\n | 400",
        "a control character in a value    | GET /health HTTP/1.1\\r\\nX-A: a\\u0001b\\r\\n\\r\\n | 400",
        "an absolute-form target           | GET http://x/health HTTP/1.1\\r\\n\\r\\n | 400",
        "a space in the target             | GET /he alth HTTP/1.1\\r\\n\\r\\n | 400",
        "another version                   | GET /health HTTP/2.0\\r\\n\\r\\n | 505",
        "not HTTP                          | GET /health FOO\\r\\n\\r\\n | 400",
        "an unknown expectation            | GET /health HTTP/1.1\\r\\nExpect: magic\\r\\n\\r\\n | 417",
        "a length beyond the bound         | POST /invoke/e-1/ HTTP/1.1\\r\\nContent-Length: 99999999999999\\r\\n\\r\\n | 413",
    })
    void malformedRequestsAreRefusedAndTheConnectionClosed(String name, String request, int status) throws Exception {
        String raw = request.strip().replace("\\r", "\r").replace("\\n", "\n").replace("\\u0001", "\u0001");
        try (Client c = new Client()) {
            Reply r = c.exchange(raw);
            assertEquals(status, r.status, name + ": " + r.body);
            assertEquals("close", r.headers.get("connection"), name);
            assertTrue(c.closed(), name + ": the connection must be closed");
        }
    }

    @Test
    void headersBeyondTheBoundAreRefused() throws Exception {
        String big = "X-Big: " + "a".repeat(RequestHead.MAX_HEAD) + "\r\n";
        try (Client c = new Client()) {
            Reply r = c.exchange("GET /health HTTP/1.1\r\n" + big + "\r\n");
            assertEquals(431, r.status);
            assertTrue(c.closed());
        }
        StringBuilder many = new StringBuilder("GET /health HTTP/1.1\r\n");
        for (int i = 0; i <= RequestHead.MAX_HEADERS; i++) {
            many.append("X-").append(i).append(": 1\r\n");
        }
        try (Client c = new Client()) {
            assertEquals(431, c.exchange(many + "\r\n").status);
        }
    }

    @Test
    void expectContinueIsAnsweredBeforeTheBody() throws Exception {
        try (Client c = new Client()) {
            c.send("POST /invoke/e-1/ HTTP/1.1\r\nX-Nest-Secret: " + SECRET + "\r\nExpect: 100-continue\r\n"
                    + "Content-Length: 2\r\n\r\n");
            Reply cont = c.read();
            assertEquals(100, cont.status);
            c.send("hi");
            Reply r = c.read();
            assertEquals(200, r.status, r.body);
            assertTrue(r.body.contains("\"body\":\"hi\""), r.body);
        }
    }

    /** A raw client on the host's socket. */
    private static final class Client implements AutoCloseable {
        private final SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        private final InputStream in;

        Client() throws IOException {
            ch.connect(UnixDomainSocketAddress.of(socket));
            in = new java.io.BufferedInputStream(Channels.newInputStream(ch));
        }

        void send(String raw) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(raw.getBytes(StandardCharsets.ISO_8859_1));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }

        Reply exchange(String raw) throws IOException {
            send(raw);
            return read();
        }

        Reply read() throws IOException {
            String status = line();
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h = line(); !h.isEmpty(); h = line()) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
            }
            int code = Integer.parseInt(status.split(" ")[1]);
            int length = code == 100 ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "-1"));
            assertTrue(length >= 0, "every answer has a Content-Length: " + status + " " + headers);
            assertFalse(headers.containsKey("transfer-encoding"));
            return new Reply(code, headers, new String(in.readNBytes(length), StandardCharsets.UTF_8));
        }

        /** Whether the host closed the connection: the next read sees its end (a blocking read; the host closes at once). */
        boolean closed() throws IOException {
            return in.read() < 0;
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("connection ended");
                }
                if (b != '\r') {
                    sb.append((char) b);
                }
            }
            return sb.toString();
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    private record Reply(int status, Map<String, String> headers, String body) {
    }
}
