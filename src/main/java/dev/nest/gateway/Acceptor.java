package dev.nest.gateway;

import com.sun.management.UnixOperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Accepts the gateway's client connections on one event loop and hands each to {@code register}.
 *
 * <p>Limits: at most {@code limit} connections open at once ({@link #open}, decremented by the connections as they
 * close); one beyond is accepted and closed at once, so the backlog never holds clients without bound. When
 * {@code accept} fails (out of file descriptors), accepting stops for a while ({@link AcceptBackoff}, the channel's
 * OP_ACCEPT interest removed), with one log line per pause. Loop thread only, but {@link #open} may be touched by
 * every loop.
 */
final class Acceptor implements EventLoop.IoHandler {
    private static final Logger LOG = Logger.getLogger(Acceptor.class.getName());

    private final ServerSocketChannel server;
    private final EventLoop loop;
    private final int limit;
    private final Consumer<SocketChannel> register;
    private final AcceptBackoff backoff = new AcceptBackoff();
    final AtomicInteger open = new AtomicInteger();
    private long refused;

    Acceptor(ServerSocketChannel server, EventLoop loop, int limit, Consumer<SocketChannel> register) {
        this.server = server;
        this.loop = loop;
        this.limit = limit;
        this.register = register;
    }

    /** The connection cap: {@code configured}, or when 0 derived from this process's open-file limit. */
    static int connectionLimit(int configured) {
        return configured > 0 ? configured : fromFileLimit(openFileLimit());
    }

    /**
     * The connection cap for an open-file limit of {@code fds} (0 or less: unknown): half of what is left after 256
     * descriptors for the rest of the node (a client connection may hold one to a runtime host too), at least 16;
     * 10000 when the limit is unknown. Pure.
     */
    static int fromFileLimit(long fds) {
        if (fds <= 0) {
            return 10_000;
        }
        return (int) Math.max(16, Math.min(Integer.MAX_VALUE, (fds - 256) / 2));
    }

    /** This process's open-file limit, or 0 when the platform does not say. */
    static long openFileLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof UnixOperatingSystemMXBean unix ? unix.getMaxFileDescriptorCount() : 0;
    }

    @Override
    public void ready(SelectionKey key) {
        while (key.isValid()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                pause(key, e);
                return;
            }
            if (c == null) {
                return;
            }
            backoff.reset();
            if (open.get() >= limit) {
                if (refused++ % 1000 == 0) {
                    LOG.warning("the gateway has " + limit + " connections open (gateway.max-connections); closing new"
                            + " ones at once (" + refused + " so far)");
                }
                close(c);
                continue;
            }
            open.incrementAndGet();
            register.accept(c);
        }
    }

    private void pause(SelectionKey key, IOException e) {
        long ms = backoff.next();
        LOG.warning("the gateway cannot accept connections (" + e.getMessage() + "); pausing accept for " + ms + " ms");
        key.interestOps(0);
        loop.schedule(TimeUnit.MILLISECONDS.toNanos(ms), () -> {
            if (key.isValid()) {
                key.interestOps(SelectionKey.OP_ACCEPT);
            }
        });
    }

    /** A connection handed to {@code register} has closed (or could not be registered). Any thread. */
    void closed() {
        open.decrementAndGet();
    }

    static void close(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing a refused connection", e);
        }
    }

    @Override
    public void failed(Throwable t) {
        LOG.log(Level.WARNING, "accept failed", t);
    }
}
