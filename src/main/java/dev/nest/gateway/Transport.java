package dev.nest.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.ssl.OptionalSslHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.BindException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The gateway's Netty event loops (epoll where the native transport loads, NIO elsewhere) and the channel classes
 * that go with them, with one {@link EventLoop} (and its {@link Upstream} pool) per Netty loop. A client connection
 * and every upstream connection it uses share one loop, so a warm invocation never changes threads.
 *
 * <p>{@code peerTls}, when present, is the client side of the public port's TLS: connections to other nodes'
 * gateways use it (see {@link Tls}). Lifecycle: created by {@link Gateway#start}, closed by {@link Gateway#close}
 * (which waits at most two seconds for the loops to end).
 */
final class Transport implements AutoCloseable {
    final EventLoopGroup group;
    final Class<? extends ServerChannel> serverChannel;
    final Class<? extends Channel> clientChannel;
    final Optional<SslContext> peerTls;
    /** The channel of a Unix domain socket to a host (ADR 0032); empty without epoll (then hosts are called over TCP). */
    final Optional<Class<? extends Channel>> domainChannel;
    private final Map<io.netty.channel.EventLoop, EventLoop> loops = new IdentityHashMap<>();
    /** Requests in flight on one connection to a runtime host at most (1: no pipelining; see {@link Upstream}). */
    final int pipelineDepth;

    Transport(int threads, Optional<SslContext> peerTls) {
        this(threads, 1, peerTls);
    }

    Transport(int threads, int pipelineDepth, Optional<SslContext> peerTls) {
        if (pipelineDepth < 1) {
            throw new IllegalArgumentException("the pipeline depth must be at least 1, not " + pipelineDepth);
        }
        this.pipelineDepth = pipelineDepth;
        this.peerTls = peerTls;
        DefaultThreadFactory names = new DefaultThreadFactory("nest-gateway", true);
        if (Epoll.isAvailable()) {
            group = new EpollEventLoopGroup(threads, names);
            serverChannel = EpollServerSocketChannel.class;
            clientChannel = EpollSocketChannel.class;
            domainChannel = Optional.of(io.netty.channel.epoll.EpollDomainSocketChannel.class);
        } else {
            group = new NioEventLoopGroup(threads, names);
            serverChannel = NioServerSocketChannel.class;
            clientChannel = NioSocketChannel.class;
            domainChannel = Optional.empty();
        }
        for (EventExecutor e : group) {
            io.netty.channel.EventLoop l = (io.netty.channel.EventLoop) e;
            loops.put(l, new EventLoop(l, this));
        }
    }

    /**
     * Binds {@code host:port} and serves each accepted connection with the pipeline [TLS (optional for loopback
     * clients: {@link #plainAllowed}),] byte counter, the strict
     * request decoder ({@link RequestRules.Decoder}), Netty's response encoder, and the {@link ClientConnection} that
     * {@code connections} makes for the connection's loop.
     *
     * @throws BindException when the port is taken
     */
    Channel listen(String host, int port, Acceptor acceptor, Optional<SslContext> tls,
                   Function<EventLoop, ClientConnection> connections) throws IOException {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(serverChannel)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(acceptor)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ClientConnection c = connections.apply(loop(ch.eventLoop()));
                        tls.ifPresent(t -> ch.pipeline().addLast(plainAllowed(ch.remoteAddress())
                                ? new OptionalSslHandler(t) : t.newHandler(ch.alloc())));
                        ch.pipeline().addLast(c.bytes(), new RequestRules.Decoder(), new HttpResponseEncoder(), c);
                    }
                });
        ChannelFuture bound = b.bind(host, port).awaitUninterruptibly();
        if (bound.isSuccess()) {
            return bound.channel();
        }
        Throwable t = bound.cause();
        if (t instanceof BindException be) {
            throw be;
        }
        if (String.valueOf(t.getMessage()).contains("in use")) {
            BindException be = new BindException(t.getMessage());
            be.initCause(t);
            throw be;
        }
        throw t instanceof IOException io ? io : new IOException("cannot listen on " + host + ":" + port + ": " + t, t);
    }

    /**
     * Whether a client at {@code remote} may speak plain HTTP to a TLS port: only from a loopback address (this node's
     * own async dispatcher, local tools); everyone else must use TLS. Pure.
     */
    static boolean plainAllowed(java.net.SocketAddress remote) {
        return remote instanceof java.net.InetSocketAddress a && a.getAddress() != null && a.getAddress().isLoopbackAddress();
    }

    /** The gateway's view of Netty loop {@code l} (one of this transport's). */
    EventLoop loop(io.netty.channel.EventLoop l) {
        EventLoop loop = loops.get(l);
        if (loop == null) {
            throw new IllegalStateException("not a loop of the gateway: " + l);
        }
        return loop;
    }

    @Override
    public void close() {
        for (EventLoop l : loops.values()) {
            l.execute(l.upstream::closeAll);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
