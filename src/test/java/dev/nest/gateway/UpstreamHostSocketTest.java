package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.sidecar.HostClient;
import dev.nest.sidecar.HostSocket;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Exchanges with a host that listens on a Unix domain socket (ADR 0032): used when the host client carries one, TCP
 * otherwise; a socket nobody listens on, or whose peer runs as another uid, is "nothing sent".
 */
class UpstreamHostSocketTest {
    private Transport transport;
    private EventLoop loop;
    private FakeHost tcp;
    private Path dir;
    private SocketHost socketHost;

    /** What one exchange ended with. */
    record Outcome(int status, String body, IOException error) {
    }

    /** A blocking HTTP server on a Unix socket that answers every request with 200 "over the socket". */
    static final class SocketHost implements AutoCloseable {
        final ServerSocketChannel server;
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger requests = new AtomicInteger();
        final AtomicLong bytes = new AtomicLong();
        final Thread thread;

        SocketHost(Path path) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            thread = Thread.ofVirtual().start(() -> {
                while (server.isOpen()) {
                    try {
                        SocketChannel c = server.accept();
                        connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> serve(c));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        private void serve(SocketChannel c) {
            try (c) {
                ByteBuffer in = ByteBuffer.allocate(8192);
                StringBuilder seen = new StringBuilder();
                while (c.read(in) > 0) {
                    in.flip();
                    bytes.addAndGet(in.remaining());
                    seen.append(StandardCharsets.US_ASCII.decode(in));
                    in.clear();
                    int end;
                    while ((end = seen.indexOf("\r\n\r\n")) >= 0) {
                        seen.delete(0, end + 4);
                        requests.incrementAndGet();
                        c.write(ByteBuffer.wrap(("HTTP/1.1 200 OK\r\ncontent-length: 15\r\n\r\nover the socket")
                                .getBytes(StandardCharsets.US_ASCII)));
                    }
                }
            } catch (IOException e) {
                // the client went
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        Assumptions.assumeTrue(Epoll.isAvailable(), "Unix domain sockets to hosts need Netty's epoll transport");
        transport = new Transport(1, java.util.Optional.empty());
        loop = transport.loop(transport.group.next());
        tcp = new FakeHost();
        tcp.handler = FakeHost.answer(200, "over tcp");
        dir = Files.createTempDirectory(Path.of("/tmp"), "nest-uds");
    }

    @AfterEach
    void tearDown() throws IOException {
        if (transport != null) {
            transport.close();
            tcp.close();
        }
        if (socketHost != null) {
            socketHost.close();
        }
        if (dir != null) {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static ByteBuffer[] post() {
        return new ByteBuffer[] {ByteBuffer.wrap("POST /invoke/i HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII))};
    }

    private Outcome exchange(HostClient host) throws Exception {
        CompletableFuture<Outcome> f = new CompletableFuture<>();
        loop.execute(() -> loop.upstream.exchange(host, io.netty.buffer.Unpooled.wrappedBuffer(post()), false,
                System.nanoTime() + TimeUnit.SECONDS.toNanos(FakeHost.BOUND_S), new Upstream.Callback() {
                    @Override
                    public void done(UpstreamResponse r) {
                        f.complete(new Outcome(r.status, new String(r.bodyBytes(), StandardCharsets.UTF_8), null));
                        r.release();
                    }

                    @Override
                    public void failed(IOException error, boolean timedOut) {
                        f.complete(new Outcome(0, "", error));
                    }
                }));
        return f.get(FakeHost.BOUND_S, TimeUnit.SECONDS);
    }

    private static int ownUid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid");
    }

    @Test
    void aHostWithASocketIsCalledOverItOnOnePooledConnection() throws Exception {
        Path path = dir.resolve(HostSocket.FILE);
        socketHost = new SocketHost(path);
        HostClient host = new HostClient("127.0.0.1", tcp.port(), "s");
        host.useSocket(new HostSocket(path, ownUid(path)));
        for (int i = 0; i < 3; i++) {
            assertEquals(new Outcome(200, "over the socket", null), exchange(host));
        }
        assertEquals(1, socketHost.connections.get());
        assertEquals(3, socketHost.requests.get());
        assertEquals(0, tcp.requests.size(), "nothing went to the TCP port");
    }

    @Test
    void aHostWithoutASocketIsCalledOverTcp() throws Exception {
        HostClient host = new HostClient("127.0.0.1", tcp.port(), "s");
        assertEquals(new Outcome(200, "over tcp", null), exchange(host));
        assertEquals(1, tcp.requests.size());
    }

    @Test
    void aSocketFileThatIsGoneMeansNothingWasSent() throws Exception {
        Path path = dir.resolve(HostSocket.FILE);
        HostClient host = new HostClient("127.0.0.1", tcp.port(), "s");
        host.useSocket(new HostSocket(path, 0));
        Outcome o = exchange(host);
        assertNotNull(o.error());
        assertTrue(Call.mayRetry(o.error(), "POST"), "ENOENT counts as nothing sent: " + o.error());
        assertEquals(0, tcp.requests.size(), "no fallback to TCP once the host said it listens on its socket");
    }

    @Test
    void aSocketNobodyListensOnIsRefusedAndNothingWasSent() throws Exception {
        Path path = dir.resolve(HostSocket.FILE);
        try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            gone.bind(UnixDomainSocketAddress.of(path)); // the file stays after the close: ECONNREFUSED
        }
        HostClient host = new HostClient("127.0.0.1", tcp.port(), "s");
        host.useSocket(new HostSocket(path, ownUid(path)));
        Outcome o = exchange(host);
        assertNotNull(o.error());
        assertTrue(Call.mayRetry(o.error(), "POST"), "ECONNREFUSED counts as nothing sent: " + o.error());
    }

    @Test
    void aPeerRunningAsAnotherUidIsRefusedBeforeAnyByteIsWritten() throws Exception {
        Path path = dir.resolve(HostSocket.FILE);
        socketHost = new SocketHost(path);
        HostClient host = new HostClient("127.0.0.1", tcp.port(), "s");
        host.useSocket(new HostSocket(path, ownUid(path) + 1));
        Outcome o = exchange(host);
        assertInstanceOf(ConnectException.class, o.error());
        assertTrue(o.error().getMessage().contains("runs as uid"), o.error().getMessage());
        assertTrue(Call.mayRetry(o.error(), "POST"));
        assertEquals(0, socketHost.bytes.get(), "no byte of the request reached the socket");
    }
}
