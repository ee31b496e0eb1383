package dev.nest.gateway;

import dev.nest.common.ErrorResponse;
import dev.nest.config.NestConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One client connection of the gateway, the last handler of its Netty pipeline ([TLS,] {@link #bytes()},
 * {@link RequestRules.Decoder}, the response encoder, this): gathers each request Netty decoded (keep-alive,
 * pipelined requests one after another), checks it ({@link RequestRules}), hands it to its {@link Dispatcher}, and
 * writes the response. Loop thread only.
 *
 * <p>States: reading a request, processing it (what Netty decodes of pipelined requests meanwhile waits in order;
 * reading pauses when {@link #MAX_WAITING} parts wait), writing the response; then back to reading, or closed when either side asked for it or the request was
 * refused. A refused request is answered here (400, 408, 413, 431, 501, 505, in the shape of {@link ErrorResponse})
 * and the connection closes.
 *
 * <p>Timeouts ({@link NestConfig.Gateway}), one loop timer at a time: the head of a request must arrive within
 * {@code header-timeout} of the connection or of its first byte (a slowloris client gets 408 and is closed however
 * often it sends a byte); a body must keep arriving at {@code body-min-rate} per {@code body-timeout} window (408 and
 * close); a keep-alive connection between requests, or a response the client does not read, is closed after
 * {@code idle-timeout} without progress. No timer runs while a request is processed (the function's own timeout
 * applies). Limits: a body up to {@code maxBody} bytes (413 above), gathered whole before it is dispatched.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
    /** Serves one complete request ({@link #request}); answers with a {@code respond} method, now or later on the loop thread. */
    interface Dispatcher {
        void dispatch(ClientConnection c);
    }

    private static final int NONE = 0;
    private static final int IDLE = 1;
    private static final int HEAD = 2;
    private static final int BODY = 3;
    private static final int WRITE = 4;
    /** The status lines, made once. */
    private static final HttpResponseStatus[] STATUSES = new HttpResponseStatus[600];

    static {
        for (int i = 100; i < STATUSES.length; i++) {
            STATUSES[i] = HttpResponseStatus.valueOf(i, Reasons.of(i));
        }
    }

    /** Decoded parts of pipelined requests held while one is served; beyond, reading pauses. */
    private static final int MAX_WAITING = 64;

    final EventLoop loop;
    final Upstream upstream;
    private final Dispatcher dispatcher;
    private final long maxBody;
    private final NestConfig.Gateway limits;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Channel ch;
    private InetAddress remote = InetAddress.getLoopbackAddress();
    private final boolean tls;
    private ForwardedHeaders.Origin origin;
    /** The request being read or served. */
    ClientRequest request;
    private CompositeByteBuf body;
    private long bodyLength;
    private boolean processing;
    private boolean refused;
    private boolean closeAfterWrite;
    private boolean closed;
    private EventLoop.Timer timer;
    /** When the timer fires, and when the current phase ends ({@code System.nanoTime}). */
    private long timerDue;
    private long deadline;
    private int phase = NONE;
    /** Bytes read on this connection, and their count at the last body-rate check. */
    private long received;
    private long receivedAtCheck;
    /** Bytes of the response not yet written when the write timer was last armed. */
    private long pendingAtCheck;
    /** The file of the answer being written under TLS, until it is written (see {@link #respondFile}). */
    private FileSlices slices;
    /** Incremented per request, so that a late answer to an abandoned request is dropped. */
    long generation;

    ClientConnection(EventLoop loop, Dispatcher dispatcher, long maxBody, NestConfig.Gateway limits) {
        this(loop, dispatcher, maxBody, limits, false);
    }

    /** @param tls whether the connection came over TLS (the scheme the forwarding headers tell a function) */
    ClientConnection(EventLoop loop, Dispatcher dispatcher, long maxBody, NestConfig.Gateway limits, boolean tls) {
        this.tls = tls;
        this.loop = loop;
        this.upstream = loop.upstream;
        this.dispatcher = dispatcher;
        this.maxBody = maxBody;
        this.limits = limits;
    }

    /** The handler before the decoder that counts the bytes the client sent (for the timeouts). */
    ChannelInboundHandlerAdapter bytes() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) {
                if (msg instanceof ByteBuf b) {
                    received(b.readableBytes());
                }
                c.fireChannelRead(msg);
            }
        };
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.ch = ctx.channel();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ch.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null) {
            remote = a.getAddress();
        }
        arm(HEAD, limits.headerTimeout());
        ctx.fireChannelActive();
    }

    private void received(int n) {
        received += n;
        if (phase == IDLE && n > 0) {
            arm(HEAD, limits.headerTimeout());
        }
    }

    /**
     * Sets the connection's deadline: phase {@code p} ends {@code after} from now ({@code NONE}: no deadline). One loop
     * timer serves every deadline: it is moved only when the new deadline is earlier than the one it waits for, and
     * when it fires early it sleeps on until the current deadline, so a keep-alive request costs no timer.
     */
    private void arm(int p, Duration after) {
        phase = p;
        if (p == NONE || closed) {
            return;
        }
        long now = System.nanoTime();
        deadline = now + after.toNanos();
        if (timer != null && timerDue - deadline > 0) {
            timer.cancel();
            timer = null;
        }
        if (timer == null) {
            schedule(deadline - now);
        }
    }

    private void schedule(long delayNanos) {
        timerDue = System.nanoTime() + delayNanos;
        timer = loop.schedule(delayNanos, this::tick);
    }

    private void tick() {
        timer = null;
        if (closed || phase == NONE) {
            return;
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
            schedule(left);
        } else {
            expired(phase);
        }
    }

    private void expired(int p) {
        switch (p) {
            case HEAD -> refuse(new Refusal(408, "the request head did not arrive within " + limits.headerTimeout().toMillis()
                    + " ms (gateway.header-timeout)"));
            case BODY -> {
                if (tooSlow(received - receivedAtCheck, limits.bodyTimeout(), limits.bodyMinRate())) {
                    refuse(new Refusal(408, "the request body arrived slower than " + limits.bodyMinRate() + " bytes/s over "
                            + limits.bodyTimeout().toMillis() + " ms (gateway.body-min-rate, gateway.body-timeout)"));
                } else {
                    receivedAtCheck = received;
                    arm(BODY, limits.bodyTimeout());
                }
            }
            case WRITE -> {
                long pending = pendingBytes() + (slices == null ? 0 : slices.unread());
                if (pending > 0 && pending < pendingAtCheck) { // the client reads, slowly
                    pendingAtCheck = pending;
                    arm(WRITE, limits.idleTimeout());
                } else if (pending > 0) {
                    close();
                }
            }
            default -> close();
        }
    }

    /** Whether a body that grew by {@code bytes} over {@code window} arrived slower than {@code minRate} bytes/s. Pure. */
    static boolean tooSlow(long bytes, Duration window, long minRate) {
        return bytes <= 0 || bytes * 1000 < minRate * window.toMillis();
    }

    boolean closed() {
        return closed;
    }

    /** What the forwarding headers say of this connection's client (worked out at its first request). */
    ForwardedHeaders.Origin origin(TrustedProxies trusted) {
        if (origin == null) {
            boolean secure = tls && ch.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null;
            origin = new ForwardedHeaders.Origin(remote, trusted, secure ? "https" : "http");
        }
        return origin;
    }

    /** The client's address (the loopback address when it cannot be read). */
    InetAddress remoteAddress() {
        return remote;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused || closed) {
            ReferenceCountUtil.release(msg);
        } else if (processing) {
            waiting.add(msg);
            if (waiting.size() == MAX_WAITING) {
                ch.config().setAutoRead(false); // a client that pipelines far ahead waits for its answers
            }
        } else {
            read(msg);
        }
    }

    private void read(Object msg) {
        if (msg instanceof HttpRequest r) {
            head(r);
            if (refused || request == null) {
                ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (msg instanceof HttpContent c) {
            if (request == null || c.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                if (request != null) {
                    refuse(RequestRules.fromDecoder(c.decoderResult().cause()));
                }
                return;
            }
            ByteBuf data = c.content();
            if (data.isReadable()) {
                bodyLength += data.readableBytes();
                if (bodyLength > maxBody) {
                    c.release();
                    refuse(new Refusal(413, "the body has more than " + maxBody + " bytes; the limit is " + maxBody
                            + " bytes (server.max-body); send large data by reference"));
                    return;
                }
                if (body == null) {
                    body = ch.alloc().compositeBuffer(Integer.MAX_VALUE);
                }
                body.addComponent(true, data);
            } else {
                c.release();
            }
            if (msg instanceof LastHttpContent) {
                complete();
            }
        }
    }

    private void head(HttpRequest r) {
        Optional<Refusal> bad = RequestRules.check(r, maxBody);
        if (bad.isPresent()) {
            refuse(bad.get());
            return;
        }
        HttpHeaders h = r.headers();
        ArrayList<String> headers = new ArrayList<>(h.size() * 2 + 10); // room for what the gateway adds
        boolean expectContinue = false;
        boolean chunked = false; // RequestRules let a Transfer-Encoding through only as one "chunked"
        boolean connection = false;
        for (java.util.Iterator<Map.Entry<CharSequence, CharSequence>> i = h.iteratorCharSequence(); i.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = i.next();
            CharSequence name = e.getKey();
            if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)) {
                continue;
            }
            if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)) {
                chunked = true;
                continue;
            }
            if (AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.EXPECT)
                    && AsciiString.contentEqualsIgnoreCase(e.getValue(), HttpHeaderValues.CONTINUE)) {
                expectContinue = true;
                continue;
            }
            connection |= AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONNECTION);
            headers.add(name.toString());
            headers.add(e.getValue().toString());
        }
        boolean http10 = r.protocolVersion().minorVersion() == 0;
        // without a Connection header, HttpUtil.isKeepAlive is the version's default: no second lookup for it
        boolean keepAlive = connection ? HttpUtil.isKeepAlive(r) : r.protocolVersion().isKeepAliveDefault();
        request = new ClientRequest(r.method().name(), r.uri(), http10, keepAlive, headers);
        bodyLength = 0;
        if (!(r instanceof LastHttpContent) && (chunked || HttpUtil.getContentLength(r, 0L) > 0)) {
            if (expectContinue) {
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                        Unpooled.EMPTY_BUFFER));
            }
            receivedAtCheck = received;
            arm(BODY, limits.bodyTimeout());
        }
    }

    private void complete() {
        if (body != null) {
            request.body = ByteBufUtil.getBytes(body);
            body.release();
            body = null;
        }
        arm(NONE, null);
        processing = true;
        generation++;
        dispatcher.dispatch(this);
    }

    /** Answers {@code r} and closes; nothing more is read. */
    private void refuse(Refusal r) {
        arm(NONE, null);
        refused = true;
        processing = true;
        closeAfterWrite = true;
        ch.config().setAutoRead(false);
        if (body != null) {
            body.release();
            body = null;
        }
        respondError(r.status, r.error(), r.getMessage(), null);
    }

    /**
     * Writes a response with an upstream's headers (its {@code x-nest-*} and framing headers dropped) and body (taken
     * over: released here whatever happens), then {@code extra} headers, names and values alternating. Loop thread only.
     */
    void respond(int status, HttpHeaders upstreamHeaders, ByteBuf content, String... extra) {
        send(status, AnswerHeaders.strip(upstreamHeaders), content, extra);
    }

    /**
     * The warm path's answer: {@link #respond(int, HttpHeaders, ByteBuf, String...)} with {@code x-nest-invocation-id}
     * and, for a cold start, {@code x-nest-cold: true}, their names encoded once.
     */
    void respondInvocation(int status, HttpHeaders upstreamHeaders, ByteBuf content, String invocationId, boolean cold) {
        HttpHeaders h = AnswerHeaders.strip(upstreamHeaders);
        h.add(AnswerHeaders.INVOCATION_ID, invocationId);
        if (cold) {
            h.add(AnswerHeaders.COLD, AnswerHeaders.TRUE);
        }
        send(status, h, content, AnswerHeaders.NONE); // not an empty varargs array per answer
    }

    /** Writes a response; {@code headers} alternates names and values. Loop thread only. */
    void respond(int status, List<String> headers, String contentType, byte[] content, String... extra) {
        HttpHeaders h = new DefaultHttpHeaders(false);
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            if (!AnswerHeaders.dropped(headers.get(i))) {
                h.add(headers.get(i), headers.get(i + 1));
            }
        }
        if (contentType != null) {
            h.add(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        send(status, h, Unpooled.wrappedBuffer(content), extra);
    }

    /**
     * Starts a streamed answer (an event stream passed on from the admin server): writes the head with the upstream's
     * headers (framing dropped, chunked for HTTP/1.1), then {@link #streamPart} writes each part as it comes and
     * {@link #streamEnd} the end; the connection closes after it, and no timeout applies while it streams (the stream
     * sends its own keep-alives). Loop thread only.
     */
    void streamHead(int status, HttpHeaders upstreamHeaders) {
        settle(status);
        if (closed) {
            return;
        }
        HttpHeaders h = AnswerHeaders.strip(upstreamHeaders);
        boolean http10 = request != null && request.http10;
        h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (!http10) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        closeAfterWrite = true;
        arm(NONE, null);
        HttpResponseStatus s = status >= 100 && status < STATUSES.length ? STATUSES[status]
                : HttpResponseStatus.valueOf(status, Reasons.of(status));
        ctx.writeAndFlush(new io.netty.handler.codec.http.DefaultHttpResponse(http10 ? HttpVersion.HTTP_1_0
                : HttpVersion.HTTP_1_1, s, h));
    }

    /** Writes one part of a streamed answer (taken over); false when the client is gone. */
    boolean streamPart(ByteBuf part) {
        if (closed || !ch.isActive()) {
            part.release();
            return false;
        }
        ctx.writeAndFlush(new io.netty.handler.codec.http.DefaultHttpContent(part)).addListener(f -> {
            if (!f.isSuccess()) {
                close();
            }
        });
        return true;
    }

    /** Ends a streamed answer and closes the connection. */
    void streamEnd() {
        if (closed) {
            return;
        }
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> close());
    }

    /** Runs the request's {@link ClientRequest#onRetryable} (once) when {@code status} asks its sender to retry. */
    private void settle(int status) {
        ClientRequest r = request;
        if (r != null && r.onRetryable != null && EventIngress.retryable(status)) {
            Runnable hook = r.onRetryable;
            r.onRetryable = null;
            hook.run();
        }
    }

    private void send(int status, HttpHeaders h, ByteBuf content, String... extra) {
        settle(status);
        if (closed) {
            content.release();
            return;
        }
        for (int i = 0; i + 1 < extra.length; i += 2) {
            h.add(extra[i], extra[i + 1]);
        }
        ClientRequest r = request;
        boolean keep = keepAlive(h);
        boolean noBody = r != null && r.method.equals("HEAD") || status == 204 || status == 304;
        if (status != 204 && status != 304) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, noBody ? 0 : content.readableBytes());
        }
        HttpVersion version = version();
        HttpResponseStatus s = status >= 100 && status < STATUSES.length ? STATUSES[status]
                : HttpResponseStatus.valueOf(status, Reasons.of(status));
        Object response;
        if (noBody) {
            content.release();
            response = new DefaultFullHttpResponse(version, s, Unpooled.EMPTY_BUFFER, h, DefaultHttpHeaders.EMPTY_HEADERS);
        } else {
            response = new DefaultFullHttpResponse(version, s, content, h, DefaultHttpHeaders.EMPTY_HEADERS);
        }
        closeAfterWrite = !keep;
        // no promise per answer: a write that fails reaches exceptionCaught (which closes); one that the socket took
        // whole leaves nothing pending; only one that waits for the client gets a promise, on an empty write after it
        ctx.writeAndFlush(response, ctx.voidPromise());
        if (closed) {
            return;
        }
        long pending = pendingBytes();
        if (pending == 0) {
            written(ch.isActive());
        } else {
            pendingAtCheck = pending;
            arm(WRITE, limits.idleTimeout());
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(done -> written(done.isSuccess()));
        }
    }

    /** Whether the connection stays open after this answer; sets {@code Connection} in {@code h} to say so. */
    private boolean keepAlive(HttpHeaders h) {
        ClientRequest r = request;
        boolean keep = r != null && r.keepAlive && !closeAfterWrite;
        if (!keep) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (r.http10) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return keep;
    }

    private HttpVersion version() {
        return request != null && request.http10 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
    }

    /**
     * Answers 200 with the first {@code length} bytes of {@code file} (taken over: closed here whatever happens) and
     * {@code h} (the content type), without copying them through the heap: a {@link DefaultFileRegion} (sendfile) on a
     * plain connection, {@link FileSlices} read into pooled direct buffers under TLS (a {@link ChunkedWriteHandler}
     * is put in this connection's pipeline for the answer and taken out after it). Keep-alive as for any answer; the body of a HEAD
     * request is left out. A file that holds fewer than {@code length} bytes when they are sent fails the write, which
     * closes the connection: the client sees a short body, never wrong bytes. Loop thread only.
     */
    void respondFile(HttpHeaders h, FileChannel file, long length) {
        if (closed) {
            closeQuietly(file);
            return;
        }
        boolean keep = keepAlive(h);
        h.set(HttpHeaderNames.CONTENT_LENGTH, length);
        closeAfterWrite = !keep;
        ctx.write(new io.netty.handler.codec.http.DefaultHttpResponse(version(), HttpResponseStatus.OK, h),
                ctx.voidPromise());
        if (request.method.equals("HEAD")) {
            closeQuietly(file);
        } else if (ch.pipeline().get(io.netty.handler.ssl.SslHandler.class) == null) {
            ctx.write(new DefaultFileRegion(file, 0, length), ctx.voidPromise());
        } else {
            ch.pipeline().addBefore(ctx.name(), null, new ChunkedWriteHandler());
            slices = new FileSlices(file, length);
            ctx.write(slices).addListener(f -> {
                if (!f.isSuccess()) {
                    close(); // the file ended early, or the client went
                }
            });
        }
        arm(WRITE, limits.idleTimeout());
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(done -> {
            if (slices != null) {
                slices = null;
                if (ch.pipeline().get(ChunkedWriteHandler.class) != null) { // not when the channel is torn down
                    ch.pipeline().remove(ChunkedWriteHandler.class); // the answers after this one need none
                }
            }
            written(done.isSuccess());
        });
        if (phase == WRITE) {
            pendingAtCheck = pendingBytes() + (slices == null ? 0 : slices.unread());
        }
    }

    private static void closeQuietly(FileChannel file) {
        try {
            file.close();
        } catch (java.io.IOException ignored) {
            // nothing was read from it, or all of it: nothing is lost
        }
    }

    private void written(boolean ok) {
        if (closed) {
            return;
        }
        if (!ok || closeAfterWrite) {
            close();
            return;
        }
        processing = false;
        request = null;
        arm(IDLE, limits.idleTimeout());
        while (!processing && !closed && !waiting.isEmpty()) {
            read(waiting.poll());
        }
        if (!processing && !closed && !ch.config().isAutoRead()) {
            ch.config().setAutoRead(true);
        }
    }

    private long pendingBytes() {
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /**
     * Answers with {@code status} and the JSON body of {@link ErrorResponse}, the one shape of every error of the
     * node; with {@code x-nest-invocation-id} when {@code invocationId} is not null.
     */
    void respondError(int status, String error, String detail, String invocationId) {
        byte[] content = new ErrorResponse(status, error, detail, invocationId).body();
        if (invocationId != null) {
            respond(status, List.of(), "application/json", content, "x-nest-invocation-id", invocationId);
        } else {
            respond(status, List.of(), "application/json", content);
        }
    }

    /**
     * {@link #respondError(int, String, String, String)} with more headers ({@code www-authenticate}), names and
     * values alternating; {@code invocationId} must not be null.
     */
    void respondError(int status, String error, String detail, String invocationId, String... headers) {
        byte[] content = new ErrorResponse(status, error, detail, invocationId).body();
        String[] extra = new String[headers.length + 2];
        extra[0] = "x-nest-invocation-id";
        extra[1] = invocationId;
        System.arraycopy(headers, 0, extra, 2, headers.length);
        respond(status, List.of(), "application/json", content, extra);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        markClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        close(); // a reset, a TLS handshake that failed: the client is gone
    }

    void close() {
        ch.close();
        markClosed();
    }

    private void markClosed() {
        if (closed) {
            return;
        }
        closed = true;
        generation++;
        phase = NONE;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        if (body != null) {
            body.release();
            body = null;
        }
        Object o;
        while ((o = waiting.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }
}
