package dev.nest.gateway;

import com.sun.management.UnixOperatingSystemMXBean;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The handler of the gateway's listening channel (before Netty's own that registers accepted connections): caps the
 * connections open at once and backs off when accepting fails.
 *
 * <p>Limits: at most {@code limit} connections open at once (each decrements {@link #open} as it closes); one beyond
 * is accepted and closed at once, so the backlog never holds clients without bound. When {@code accept} fails (out of
 * file descriptors, EMFILE), accepting stops for a while ({@link AcceptBackoff}: the listening channel's auto-read is
 * turned off), never a stack trace, and at most one log line per ten seconds however often it fails (the line
 * counts the failures since the previous one: {@link AcceptBackoff}). Runs on the listening channel's loop;
 * {@link #open} is decremented on the connections' loops.
 */
@ChannelHandler.Sharable
final class Acceptor extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(Acceptor.class.getName());

    private final int limit;
    private final AcceptBackoff backoff = new AcceptBackoff();
    private final LongSupplier nanos;
    final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();

    /** @param nanos a monotonic clock in nanoseconds ({@code System::nanoTime}), for the log's rate */
    Acceptor(int limit, LongSupplier nanos) {
        this.limit = limit;
        this.nanos = nanos;
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
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel child = (Channel) msg;
        backoff.reset();
        if (open.get() >= limit) {
            long n = refused.getAndIncrement();
            if (n % 1000 == 0) {
                LOG.warning("the gateway has " + limit + " connections open (gateway.max-connections); closing new"
                        + " ones at once (" + (n + 1) + " so far)");
            }
            child.unsafe().closeForcibly();
            return;
        }
        open.incrementAndGet();
        child.closeFuture().addListener(f -> open.decrementAndGet());
        ctx.fireChannelRead(child);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        long ms = backoff.next();
        long failures = backoff.failed(nanos.getAsLong());
        if (failures > 0) {
            LOG.warning("the gateway cannot accept connections (" + cause.getMessage() + "); pausing accept for " + ms
                    + " ms, doubling up to " + AcceptBackoff.MAX_MS + " ms while it fails (" + failures
                    + " failure(s) since the last such line, " + backoff.total() + " in all; at most one line per "
                    + AcceptBackoff.LOG_EVERY_NANOS / 1_000_000_000L + " s)");
        }
        Channel server = ctx.channel();
        server.config().setAutoRead(false);
        ctx.executor().schedule(() -> {
            if (server.isOpen()) {
                server.config().setAutoRead(true);
            }
        }, ms, TimeUnit.MILLISECONDS);
    }
}
