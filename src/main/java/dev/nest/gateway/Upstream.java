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

        /**
         * Whether this exchange may be pipelined on a host connection (written behind another request of the same
         * turn, see {@link Upstream#exchange(HostClient, ByteBuf, boolean, long, Callback)}): only for a callee whose
         * answers are never streamed ({@link #streams} false for every answer), as nothing can follow an open-ended
         * body. Default: not pipelined.
         */
        default boolean pipelines() {
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
    /** Requests in flight on one host connection at most (1: no pipelining). */
    private final int depth;
    /**
     * Host connections that took a request in this turn of the loop, by pool key, while they take more: a later
     * request of the same turn to the same host is written behind it; all are flushed once at the end of the turn.
     */
    private final Map<Object, Conn> batching = new HashMap<>();
    private final java.util.ArrayList<Conn> unflushed = new java.util.ArrayList<>();
    private final Runnable flushTurn = this::flushTurn;

    Upstream(EventLoop loop, Transport transport) {
        this.loop = loop;
        this.transport = transport;
        this.depth = transport.pipelineDepth;
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
        Object key = hostKey(host);
        if (depth > 1 && !head && cb.pipelines()) {
            pipelined(key, request, deadlineNanos, cb);
        } else {
            exchange(key, null, request, head, deadlineNanos, cb);
        }
    }

    /**
     * Pipelining (ADR 0028, addendum): the first such request of a turn to a host takes a pooled connection as usual
     * but is written without a flush; a later one of the same turn to the same host is written behind it on that
     * connection, up to {@link #depth} in flight; the connections are flushed once when the loop has handled the
     * turn's I/O ({@link #flushTurn}), so one system call carries them all. The answers come back in order. A request
     * written behind another counts, once any byte of it was written, as possibly started (never resent); one none of
     * whose bytes left is "nothing sent", as on a connection of its own. A new connection (none idle) is not
     * pipelined: it writes at once when it connects.
     */
    private void pipelined(Object key, ByteBuf request, long deadlineNanos, Callback cb) {
        Conn c = batching.get(key);
        if (c != null && c.takesMore()) {
            c.follow(request, deadlineNanos, cb);
            return;
        }
        c = pooled(key);
        if (c == null) {
            exchangeFresh(key, null, request, false, deadlineNanos, cb);
            return;
        }
        if (unflushed.isEmpty()) {
            loop.execute(flushTurn); // runs after the I/O of this turn
        }
        unflushed.add(c);
        batching.put(key, c);
        c.flushLater = true;
        c.start(request, false, deadlineNanos, cb, true);
        c.flushLater = false;
    }

    private void flushTurn() {
        batching.clear();
        for (int i = 0; i < unflushed.size(); i++) {
            unflushed.get(i).ch.flush();
        }
        unflushed.clear();
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

    /** A request written behind the current one on a connection (pipelined), and how much of it was written. */
    private static final class Behind implements ChannelProgressiveFutureListener {
        final Conn conn;
        final ByteBuf request;
        final long deadline;
        final Callback cb;
        long written;

        Behind(Conn conn, ByteBuf request, long deadline, Callback cb) {
            this.conn = conn;
            this.request = request;
            this.deadline = deadline;
            this.cb = cb;
        }

        @Override
        public void operationProgressed(ChannelProgressiveFuture future, long progress, long total) {
            written = Math.max(written, progress);
            if (conn.tracking == this) {
                conn.written = Math.max(conn.written, progress);
            }
        }

        @Override
        public void operationComplete(ChannelProgressiveFuture future) {
            // a failed write closes the channel: channelInactive fails (or resends) what is in flight
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
        /** Requests written behind the current one (pipelined), oldest first; their answers follow its answer. */
        final ArrayDeque<Behind> behind = new ArrayDeque<>(4);
        /** The pipelined request that became the current one, whose write progress goes on counting in {@link #written}. */
        Behind tracking;
        /** Set while {@link #start} must write without a flush (the turn's flush follows). */
        boolean flushLater;

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
            begin(request, head, deadlineNanos, callback, 0);
            this.reused = wasReused;
            this.tracking = null;
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

        private void begin(ByteBuf request, boolean head, long deadlineNanos, Callback callback, long writtenSoFar) {
            this.cb = callback;
            this.busy = true;
            this.written = writtenSoFar;
            this.request = request;
            this.head = head;
            this.deadline = deadlineNanos;
            this.status = 0;
            this.informational = false;
            this.headers = null;
            this.body = null;
            decoder.head = head;
        }

        /** Whether a request of this turn may be written behind the ones in flight here. */
        boolean takesMore() {
            return busy && timed && !head && !streaming && status == 0 && behind.size() + 1 < depth && ch.isActive();
        }

        /** Writes {@code request} behind the ones in flight (not flushed: the turn's flush sends them together). */
        void follow(ByteBuf request, long deadlineNanos, Callback callback) {
            long now = System.nanoTime();
            long delay = deadlineNanos - now;
            if (delay <= 0) {
                request.release();
                callback.failed(new HostTimeout(), true);
                return;
            }
            Behind b = new Behind(this, request, deadlineNanos, callback);
            behind.addLast(b);
            if (timer != null && timerDue - deadlineNanos > 0) {
                timer.cancel();
                timer = null;
            }
            if (timer == null) {
                arm(now, delay);
            }
            ChannelProgressivePromise p = ch.newProgressivePromise();
            p.addListener(b);
            ch.write(request.retainedDuplicate(), p);
        }

        /** The current exchange's answer is in: the next pipelined request becomes the current one. */
        private void promote() {
            Behind b = behind.pollFirst();
            begin(b.request, false, b.deadline, b.cb, b.written);
            reused = true;
            tracking = b;
            timed = true;
        }

        private void arm(long now, long delay) {
            timerDue = now + delay;
            timer = loop.schedule(delay, this::tick);
        }

        /**
         * The connection's timer: fails the exchanges in flight when one's deadline passed (the connection closes, so
         * the pipelined ones behind it or before it fail too, as possibly started), else sleeps on until the earliest.
         */
        private void tick() {
            timer = null;
            if (!busy || !timed) {
                return; // idle, or a stream: the next exchange arms it again
            }
            long now = System.nanoTime();
            long earliest = deadline;
            for (Behind b : behind) {
                if (b.deadline - earliest < 0) {
                    earliest = b.deadline;
                }
            }
            long left = earliest - now;
            if (left > 0) {
                arm(now, left);
            } else if (deadline - now <= 0) {
                fail(new HostTimeout(), true);
            } else {
                fail(new IOException("a request pipelined behind it on the connection to the host passed its "
                        + "deadline, and the connection was closed"), false);
            }
        }

        private void write() {
            ChannelProgressivePromise p = ch.newProgressivePromise();
            p.addListener(this);
            if (flushLater) {
                ch.write(request.retainedDuplicate(), p); // the turn's flush sends it (pipelined)
            } else {
                ch.writeAndFlush(request.retainedDuplicate(), p); // own indices: the request stays whole for a retry
            }
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
                    // nothing is pipelined behind an exchange that may stream (Callback.pipelines)
                    streaming = cb != null && behind.isEmpty() && cb.streams(code, headers);
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
            // written behind it, so none of their bytes left either: each goes on a new connection of its own
            Behind b;
            while ((b = behind.pollFirst()) != null) {
                if (b.written == 0) {
                    exchangeFresh(poolKey, peer, b.request, false, b.deadline, b.cb);
                } else {
                    b.request.release();
                    b.cb.failed(new EOFException("the upstream closed the connection before the response was complete"),
                            false);
                }
            }
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
            if (!behind.isEmpty()) {
                UpstreamResponse answer = new UpstreamResponse(status, headers, b);
                if (keepAlive && ch.isActive()) {
                    promote();
                } else {
                    close(); // fails the pipelined ones, as possibly started
                    failBehind(new EOFException("the upstream ended the connection after an earlier answer, before "
                            + "the answer to this pipelined request"), System.nanoTime());
                }
                c.done(answer);
                return;
            }
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
            failBehind(e, System.nanoTime());
        }

        /**
         * Fails the requests pipelined behind the current one (its connection closed): a timeout for those whose
         * deadline passed, "nothing sent" for those none of whose bytes were written, else the failure (possibly
         * started: the caller does not resend it unless it may be repeated).
         */
        private void failBehind(IOException e, long now) {
            Behind b;
            while ((b = behind.pollFirst()) != null) {
                b.request.release();
                if (b.deadline - now <= 0) {
                    b.cb.failed(new HostTimeout(), true);
                } else {
                    IOException why = e instanceof HostTimeout ? new IOException("an earlier request pipelined on the "
                            + "connection to the host passed its deadline, and the connection was closed") : e;
                    b.cb.failed(b.written == 0 && !(why instanceof NothingSent) ? new NothingSent(why) : why, false);
                }
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
