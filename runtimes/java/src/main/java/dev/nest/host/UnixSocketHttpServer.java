package dev.nest.host;

import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * The host's HTTP/1.1 listener on its Unix domain socket ({@code NEST_HOST_SOCKET}, ADR 0032), beside the TCP port
 * that {@code com.sun.net.httpserver} serves: {@code HttpServer} cannot bind a Unix socket, so this small server
 * accepts on a {@link ServerSocketChannel} of {@link StandardProtocolFamily#UNIX} and hands each request to the same
 * {@link HttpHandler} as the port, wrapped in a {@link SocketExchange}.
 *
 * <p>It speaks the subset the node's gateway uses (runtimes/CONTRACT.md): requests framed by {@code Content-Length}
 * only, keep-alive, one request at a time per connection; it treats its input as hostile anyway
 * ({@link RequestHead}: bounded request line and headers, strict syntax, {@code Transfer-Encoding} refused with 501,
 * any other malformed request with 400, and the connection closed after either).
 *
 * <p>Lifecycle: {@link #bind} removes a stale socket file at the path (a socket file only, never a link or another
 * file) and binds, so that the socket exists before the TCP port answers {@code /health}; {@link #start} begins
 * accepting on a daemon thread; {@link #close} stops accepting, closes every connection and removes the socket file.
 * Threading: one accept thread; each connection is served on a task of the host's executor (virtual threads), which
 * runs the handler inline. Limits: no idle or read timeout (the socket's directory is the pod's own: its only
 * clients are the gateway, which pools its connections, and the pod itself).
 */
final class UnixSocketHttpServer implements AutoCloseable {
    private final Path path;
    private final ServerSocketChannel channel;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final PrintStream err;
    private volatile boolean closed;

    private UnixSocketHttpServer(Path path, ServerSocketChannel channel, PrintStream err) {
        this.path = path;
        this.channel = channel;
        this.err = err;
    }

    /**
     * Binds the socket at {@code path}, replacing a socket file left there by an earlier host.
     *
     * @throws IOException when something else than a socket file is at the path, or the bind fails
     */
    static UnixSocketHttpServer bind(Path path, PrintStream err) throws IOException {
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & 0170000) != 0140000) {
                throw new IOException(path + " exists and is not a socket; not replacing it");
            }
            Files.delete(path);
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(path), 1024);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new UnixSocketHttpServer(path, ch, err);
    }

    /** Where the socket is. */
    Path path() {
        return path;
    }

    /** Starts accepting connections; each is served by {@code handler} on a task of {@code executor}. */
    void start(HttpHandler handler, ExecutorService executor) {
        Thread.ofPlatform().daemon().name("nest-host-socket").start(() -> accept(handler, executor));
    }

    private void accept(HttpHandler handler, ExecutorService executor) {
        while (!closed) {
            SocketChannel c;
            try {
                c = channel.accept();
            } catch (IOException e) {
                if (!closed) {
                    err.println("nest java host: the socket " + path + " stopped accepting: " + e);
                }
                return;
            }
            open.add(c);
            try {
                executor.execute(() -> serve(c, handler));
            } catch (RejectedExecutionException e) {
                drop(c);
            }
        }
    }

    private void serve(SocketChannel c, HttpHandler handler) {
        try {
            SocketExchange.Connection conn = new SocketExchange.Connection(c);
            while (!closed && conn.serveOne(handler)) {
                // keep-alive: the next request on the same connection
            }
        } catch (IOException e) {
            // the peer went away or sent something broken: the connection ends
        } catch (RuntimeException e) {
            err.println("nest java host: a connection on " + path + " failed: " + e);
        } finally {
            drop(c);
        }
    }

    private void drop(SocketChannel c) {
        open.remove(c);
        try {
            c.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
        for (SocketChannel c : open) {
            drop(c);
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a stale socket file is replaced at the next bind
        }
    }
}
