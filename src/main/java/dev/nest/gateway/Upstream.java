package dev.nest.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelProgressiveFuture;
import io.netty.channel.ChannelProgressiveFutureListener;
import io.netty.channel.ChannelProgressivePromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.channel.unix.DomainSocketAddress;
import dev.nest.sidecar.HostClient;
import dev.nest.sidecar.HostSocket;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keep-alive connections from one event loop to upstream servers (runtime hosts, the admin server, other nodes'
 * gateways), and the exchange of one request on one of them: the request's bytes are written as they were encoded,
 * the answer is read with Netty's HTTP/1.1 response decoder. Loop thread only.
 *
 * <p>No request is ever sent twice: a pooled connection the peer closed while idle leaves the pool when the loop sees
 * the close; a request whose write fails before any byte of it left (Netty reports the write's progress) on a pooled
 * connection is sent on a new connection, once. Once a byte of the request was written, every failure is reported to
 * the caller, which alone knows whether the request may be repeated. A failure before any byte of the request was
 * written is reported as {@link NothingSent} (or the {@link java.net.ConnectException} of a refused connection), so
 * that the caller knows the peer saw nothing. Over TLS (to peers, when the public port has it) a write that fails is
 * "nothing sent" only while the handshake had not finished.
 *
 * <p>A runtime host that listens on a Unix domain socket ({@link HostSocket}, ADR 0032) is called over it when the
 * transport is epoll; a new connection to it carries nothing until the peer's credentials show the socket owner's uid
 * (else it fails as a refused connection). A missing or refused socket is "nothing sent", like a refused port.
 *
 * <p>Limits: an answer's head up to 64 KiB; its body is gathered whole (no limit beyond memory: the upstreams are
 * Nest's own hosts and nodes); a connection attempt gives up after {@link #CONNECT_TIMEOUT_MS}.
 */
final class Upstream {
    /** The outcome of one exchange; called on the loop thread. */
    interface Callback {
        /** The answer; the callee owns its body. */
        void done(UpstreamResponse response);

        void failed(IOException error, boolean timedOut);

        /**
         * Called with the answer's head: true to receive its body as it comes ({@link #part}), without a deadline,
         * then {@link #done} with an empty body at its end (an event stream). Default: gathered whole.
         */
        default boolean streams(int status, HttpHeaders headers) {
            return false;
        }

        /** One part of a streamed body (the callee owns it); false stops the exchange and closes its connection. */
        default boolean part(ByteBuf content) {
            content.release();
            return false;
        }
    }

    static final int CONNECT_TIMEOUT_MS = 3_000;
    private static final int MAX_HEAD = 64 * 1024;

    private final EventLoop loop;
    private final Transport transport;
    /**
     * Idle connections by target: an {@code Integer} port on 127.0.0.1, a host's {@link HostSocket}, or a peer's
     * {@link InetSocketAddress}.
     */
    private final Map<Object, ArrayDeque<Conn>> idle = new HashMap<>();

    Upstream(EventLoop loop, Transport transport) {
        this.loop = loop;
        this.transport = transport;
    }

    /** Sends {@code request} to 127.0.0.1:{@code port} (plain HTTP); calls back on the loop thread. */
    void exchange(int port, ByteBuffer[] request, boolean head, long deadlineNanos, Callback cb) {
        exchange(port, null, Unpooled.wrappedBuffer(request), head, deadlineNanos, cb);
    }

    /**
     * Sends {@code request} to the runtime host behind {@code host}: over its Unix domain socket when it listens on
     * one and this transport has the channel for it (epoll), else to 127.0.0.1 and its TCP port (ADR 0032). The
     * exchange owns {@code request} (one reference) from here on and releases it when it ends.
     */
    void exchange(HostClient host, ByteBuf request, boolean head, long deadlineNanos, Callback cb) {
        exchange(hostKey(host), null, request, head, deadlineNanos, cb);
    }

    /** Closes idle connections to the host behind {@code host}, by socket and by port (its instance went away). */
    void forget(HostClient host) {
        host.socket().ifPresent(this::forget);
        forget(host.port());
    }

    /** Where a call to {@code host} goes: its {@link HostSocket} when usable here, else its {@code Integer} port. */
    Object hostKey(HostClient host) {
        if (transport.domainChannel.isPresent()) {
            java.util.Optional<HostSocket> s = host.socket();
            if (s.isPresent()) {
                return s.get();
            }
        }
        return host.port();
    }

    /** Sends {@code request} to another node's gateway at {@code peer} (over TLS when the port has it). */
    void exchange(InetSocketAddress peer, ByteBuffer[] request, boolean head, long deadlineNanos, Callback cb) {
        exchange(peer, peer, Unpooled.wrappedBuffer(request), head, deadlineNanos, cb);
    }

    private void exchange(Object poolKey, InetSocketAddress peer, ByteBuf request, boolean head,
                          long deadlineNanos, Callback cb) {
        Conn c = pooled(poolKey);
        if (c == null) {
            exchangeFresh(poolKey, peer, request, head, deadlineNanos, cb);
        } else {
            c.start(request, head, deadlineNanos, cb, true);
        }
    }

    /** @param peer where to connect, or null for 127.0.0.1 and the {@code Integer} port {@code poolKey} */
    private void exchangeFresh(Object poolKey, InetSocketAddress peer, ByteBuf request, boolean head,
                               long deadlineNanos, Callback cb) {
        Conn c = new Conn(poolKey, peer);
        c.start(request, head, deadlineNanos, cb, false);
    }

    private Conn pooled(Object poolKey) {
        ArrayDeque<Conn> q = idle.get(poolKey);
        if (q == null) {
            return null;
        }
        Conn c;
        while ((c = q.pollLast()) != null) {
            if (c.ch.isActive()) {
                return c;
            }
            c.close();
        }
        return null;
    }

    /** How many idle connections to {@code port} are pooled (loop thread only; for tests). */
    int idleTo(int port) {
        ArrayDeque<Conn> q = idle.get(port);
        return q == null ? 0 : q.size();
    }

    /** Closes idle connections to {@code port} (its instance went away). */
    void forget(int port) {
        forget((Object) port);
    }

    /** Closes idle connections to a host's socket {@code s}. */
    void forget(HostSocket s) {
        forget((Object) s);
    }

    /** Closes idle connections to {@code peer} (it went away). */
    void forget(InetSocketAddress peer) {
        forget((Object) peer);
    }

    private void forget(Object poolKey) {
        ArrayDeque<Conn> q = idle.remove(poolKey);
        if (q != null) {
            q.forEach(Conn::close);
        }
    }

    void closeAll() {
        idle.values().forEach(q -> q.forEach(Conn::close));
        idle.clear();
    }

    /** Netty's response decoder, told when the answer is to a HEAD request (it has no body then). */
    private static final class ResponseDecoder extends HttpResponseDecoder {
        boolean head;

        ResponseDecoder() {
            super(new HttpDecoderConfig().setMaxInitialLineLength(8192).setMaxHeaderSize(MAX_HEAD).setMaxChunkSize(64 * 1024));
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            return head || super.isContentAlwaysEmpty(msg);
        }
    }

    private final class Conn extends ChannelInboundHandlerAdapter implements ChannelProgressiveFutureListener {
        final Object poolKey;
        final InetSocketAddress peer;
        final Channel ch;
        final ResponseDecoder decoder = new ResponseDecoder();
        final boolean tls;
        Callback cb;
        /** The connection's one timer (see {@link #start}), when it fires ({@code System.nanoTime}), and whether the
         * current exchange has a deadline. */
        EventLoop.Timer timer;
        long timerDue;
        boolean timed;
        boolean reused;
        boolean busy;
        boolean handshaken;
        /** Bytes of the current request written so far. */
        long written;
        /** The current request (one reference, this exchange's; each write takes one more), read from index 0. */
        ByteBuf request;
        boolean head;
        long deadline;
        int status;
        boolean informational;
        HttpHeaders headers;
        boolean keepAlive;
        /** The answer's body: its first part as it came, a composite once a second part arrives. */
        ByteBuf body;
        /** Whether the body goes to the callback part by part ({@link Callback#streams}). */
        boolean streaming;
        IOException connectFailure;

        Conn(Object poolKey, InetSocketAddress peer) {
            this.poolKey = poolKey;
            this.peer = peer;
            this.tls = peer != null && transport.peerTls.isPresent();
            HostSocket socket = poolKey instanceof HostSocket h ? h : null;
            java.net.SocketAddress address = socket != null ? new DomainSocketAddress(socket.path().toString())
                    : peer != null ? peer : new InetSocketAddress("127.0.0.1", (Integer) poolKey);
            Bootstrap b = new Bootstrap().group(loop.netty)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel c) {
                            if (tls) {
                                SslHandler ssl = transport.peerTls.orElseThrow().newHandler(c.alloc(),
                                        peer.getHostString(), peer.getPort());
                                ssl.handshakeFuture().addListener(h -> handshaken = h.isSuccess());
                                c.pipeline().addLast(ssl);
                            }
                            c.pipeline().addLast(decoder, Conn.this);
                        }
                    });
            if (socket != null) {
                b.channel(transport.domainChannel.orElseThrow());
            } else {
                b.channel(transport.clientChannel).option(ChannelOption.TCP_NODELAY, true);
            }
            ChannelFuture f = b.connect(address);
            ch = f.channel();
            f.addListener(done -> {
                Throwable t = done.isSuccess() ? peerMismatch(socket) : done.cause();
                if (t != null) {
                    IOException e = t instanceof IOException io ? io : new IOException(String.valueOf(t), t);
                    if (done.isSuccess()) {
                        ch.close();
                    }
                    if (busy) {
                        fail(e, false);
                    } else {
                        connectFailure = e; // at once (a refused loopback port): reported when the exchange starts
                    }
                } else if (busy) {
                    write();
                }
            });
        }

        /**
         * Null when the connection may carry the request: not a socket, or the process at the socket's other end runs as
         * the uid that owns the socket; else the refusal, before any byte is written (so nothing was sent).
         */
        private IOException peerMismatch(HostSocket socket) {
            if (socket == null) {
                return null;
            }
            try {
                int uid = ((io.netty.channel.epoll.EpollDomainSocketChannel) ch).peerCredentials().uid();
                return socket.admits(uid) ? null : new java.net.ConnectException("the process at "
                        + socket.path() + " runs as uid " + uid + ", not the socket's owner " + socket.uid());
            } catch (IOException e) {
                return new java.net.ConnectException("cannot read the peer credentials of " + socket.path() + ": "
                        + e.getMessage());
            }
        }

        void start(ByteBuf request, boolean head, long deadlineNanos, Callback callback, boolean wasReused) {
            this.cb = callback;
            this.reused = wasReused;
            this.busy = true;
            this.written = 0;
            this.request = request;
            this.head = head;
            this.deadline = deadlineNanos;
            this.status = 0;
            this.informational = false;
            this.headers = null;
            this.body = null;
            decoder.head = head;
            if (connectFailure != null) {
                fail(connectFailure, false);
                return;
            }
            long now = System.nanoTime();
            long delay = deadlineNanos - now;
            if (delay <= 0) {
                fail(new HostTimeout(), true);
                return;
            }
            timed = true;
            // one timer per connection, moved only when this deadline is earlier than the one it waits for: a pooled
            // connection's next exchange (same timeout, later deadline) costs no timer; it wakes early and sleeps on
            if (timer != null && timerDue - deadlineNanos > 0) {
                timer.cancel();
                timer = null;
            }
            if (timer == null) {
                arm(now, delay);
            }
            if (ch.isActive()) {
                write();
            }
        }

        private void arm(long now, long delay) {
            timerDue = now + delay;
            timer = loop.schedule(delay, this::tick);
        }

        /** The connection's timer: fails the exchange whose deadline passed, else sleeps on until it. */
        private void tick() {
            timer = null;
            if (!busy || !timed) {
                return; // idle, or a stream: the next exchange arms it again
            }
            long now = System.nanoTime();
            long left = deadline - now;
            if (left > 0) {
                arm(now, left);
            } else {
                fail(new HostTimeout(), true);
            }
        }

        private void write() {
            ChannelProgressivePromise p = ch.newProgressivePromise();
            p.addListener(this);
            ch.writeAndFlush(request.retainedDuplicate(), p); // own indices: the request stays whole for a retry
        }

        @Override
        public void operationProgressed(ChannelProgressiveFuture future, long progress, long total) {
            written = Math.max(written, progress);
        }

        @Override
        public void operationComplete(ChannelProgressiveFuture future) {
            if (future.isSuccess() || !busy) {
                return;
            }
            boolean nothing = nothingWritten();
            if (nothing && reused) {
                retry(); // the pooled connection broke before any byte of this request left
            } else {
                Throwable t = future.cause();
                IOException e = t instanceof IOException io ? io : new IOException(String.valueOf(t), t);
                fail(nothing ? new NothingSent(e) : e, false);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!busy) {
                ReferenceCountUtil.release(msg);
                close(); // nothing is expected on an idle connection
                return;
            }
            HttpObject o = (HttpObject) msg;
            if (o.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                fail(new IOException("malformed answer: " + o.decoderResult().cause().getMessage()), false);
                return;
            }
            if (o instanceof HttpResponse r) {
                int code = r.status().code();
                informational = code >= 100 && code < 200;
                if (!informational) {
                    status = code;
                    headers = r.headers();
                    keepAlive = HttpUtil.isKeepAlive(r);
                    body = Unpooled.EMPTY_BUFFER;
                    streaming = cb != null && cb.streams(code, headers);
                    if (streaming) {
                        timed = false; // a stream lasts as long as its client stays
                    }
                }
            }
            if (streaming && o instanceof HttpContent content) {
                boolean more = !content.content().isReadable() ? cbPartEmpty(content) : cb.part(content.content());
                if (!more) {
                    stopStream();
                } else if (o instanceof LastHttpContent) {
                    endStream();
                }
                return;
            }
            if (o instanceof HttpContent content) {
                if (informational || body == null || !content.content().isReadable()) {
                    content.release();
                } else if (!body.isReadable()) {
                    body = content.content(); // most answers come in one part: no copy, no composite
                } else {
                    CompositeByteBuf all = body instanceof CompositeByteBuf c ? c : ctx.alloc().compositeBuffer(Integer.MAX_VALUE)
                            .addComponent(true, body);
                    body = all.addComponent(true, content.content());
                }
                if (o instanceof LastHttpContent) {
                    if (informational) {
                        informational = false;
                    } else if (body != null) {
                        finish();
                    }
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!busy) {
                cancelTimer();
                ArrayDeque<Conn> q = idle.get(poolKey);
                if (q != null) {
                    q.remove(this);
                }
                return;
            }
            if (reused && nothingWritten() && status == 0) {
                retry();
                return;
            }
            fail(new EOFException("the upstream closed the connection before the response was complete"), false);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (busy) {
                fail(cause instanceof IOException io ? io : new IOException(String.valueOf(cause), cause), false);
            } else {
                close();
            }
        }

        private void retry() {
            cancelTimer();
            Callback c = cb;
            cb = null;
            busy = false;
            releaseBody();
            close();
            ByteBuf r = request;
            request = null; // handed to the new connection
            exchangeFresh(poolKey, peer, r, head, deadline, c);
        }

        private boolean cbPartEmpty(HttpContent content) {
            content.release();
            return true;
        }

        /** The client went: drop the callback and close (the upstream sees the connection end). */
        private void stopStream() {
            cb = null;
            busy = false;
            streaming = false;
            body = null;
            releaseRequest();
            close();
        }

        /** The streamed answer ended: never pooled (its connection carried an open-ended body). */
        private void endStream() {
            Callback c = cb;
            cb = null;
            busy = false;
            streaming = false;
            body = null;
            releaseRequest();
            close();
            if (c != null) {
                c.done(new UpstreamResponse(status, headers, Unpooled.EMPTY_BUFFER));
            }
        }

        private void finish() {
            timed = false; // the timer stays armed for the connection's next exchange (see start)
            busy = false;
            Callback c = cb;
            cb = null;
            releaseRequest();
            ByteBuf b = body;
            body = null;
            // after a HEAD the connection is not reused: a server that wrongly sends the body anyway (an error page)
            // would leave it in the connection, to be read as the start of the next answer
            if (keepAlive && !head && ch.isActive()) {
                idle.computeIfAbsent(poolKey, p -> new ArrayDeque<>()).addLast(this);
            } else {
                close();
            }
            c.done(new UpstreamResponse(status, headers, b));
        }

        private void fail(IOException e, boolean timedOut) {
            cancelTimer();
            boolean wasBusy = busy;
            busy = false;
            releaseBody();
            releaseRequest();
            close();
            Callback c = cb;
            cb = null;
            if (c != null && wasBusy) {
                boolean nothingSent = nothingWritten() && !timedOut && !(e instanceof java.net.ConnectException)
                        && !(e instanceof NothingSent);
                c.failed(nothingSent ? new NothingSent(e) : e, timedOut);
            }
        }

        /**
         * Whether no byte of the current request can have reached the upstream: none was written (plain), or the TLS
         * handshake had not finished (Netty reports no progress through TLS, so after it nothing is assumed).
         */
        private boolean nothingWritten() {
            return tls ? !handshaken : written == 0;
        }

        private void cancelTimer() {
            timed = false;
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
        }

        private void releaseRequest() {
            if (request != null) {
                request.release();
                request = null;
            }
        }

        private void releaseBody() {
            if (body != null) {
                body.release();
                body = null;
            }
        }

        void close() {
            cancelTimer();
            ch.close();
        }
    }

    /** The exchange failed before any byte of the request was written: the upstream saw nothing of it. */
    static final class NothingSent extends IOException {
        NothingSent(IOException cause) {
            super("nothing was sent: " + cause.getMessage(), cause);
        }
    }

    /** The upstream did not answer before the deadline. */
    static final class HostTimeout extends IOException {
        HostTimeout() {
            super("no answer before the deadline", null);
        }
    }
}
