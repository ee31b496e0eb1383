package dev.nest.gateway;

import dev.nest.common.ErrorResponse;
import dev.nest.config.NestConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One client connection of the gateway: reads requests (keep-alive, pipelined requests one after another),
 * hands each complete request to its {@link Dispatcher}, and writes the response. Loop thread only.
 *
 * <p>States: reading a request, processing it (reads paused), writing the response; then back to reading,
 * or closed when either side asked for it or the request could not be parsed. A request that cannot be parsed
 * is answered here (400, 413, 431, 501, 505, in the shape of {@link ErrorResponse}) and the connection closes.
 *
 * <p>Timeouts ({@link NestConfig.Gateway}), one loop timer at a time: the head of a request must arrive within
 * {@code header-timeout} of the connection or of its first byte (a slowloris client gets 408 and is closed however
 * often it sends a byte); a body must keep arriving at {@code body-min-rate} per {@code body-timeout} window (408 and
 * close); a keep-alive connection between requests, or a response the client does not read, is closed after
 * {@code idle-timeout}. No timer runs while a request is processed (the function's own timeout applies).
 */
final class ClientConnection implements EventLoop.IoHandler {
    /** Serves one complete request ({@link #request}); answers with {@link #respond} or {@link #respondError}, now or later on the loop thread. */
    interface Dispatcher {
        void dispatch(ClientConnection c);
    }

    private static final int NONE = 0;
    private static final int IDLE = 1;
    private static final int HEAD = 2;
    private static final int BODY = 3;
    private static final int WRITE = 4;
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    final EventLoop loop;
    final Upstream upstream;
    private final Dispatcher dispatcher;
    private final SocketChannel ch;
    private final SelectionKey key;
    final HttpRequestParser request;
    private byte[] buf = new byte[16 * 1024];
    private int pos;
    private int lim;
    private ByteBuffer[] out;
    private boolean processing;
    private boolean closeAfterWrite;
    private boolean sentContinue;
    private boolean closed;
    private final NestConfig.Gateway limits;
    private final Runnable onClose;
    private EventLoop.Timer timer;
    private int phase = NONE;
    /** Bytes read on this connection, and their count at the last body-rate check. */
    private long received;
    private long receivedAtCheck;
    /** Incremented per request, so that a late answer to an abandoned request is dropped. */
    long generation;

    ClientConnection(EventLoop loop, Upstream upstream, Dispatcher dispatcher, SocketChannel ch, long maxBody) throws IOException {
        this(loop, upstream, dispatcher, ch, maxBody, NestConfig.Gateway.DEFAULTS, () -> { });
    }

    /** {@code onClose} runs once when the connection closes. Loop thread only. */
    ClientConnection(EventLoop loop, Upstream upstream, Dispatcher dispatcher, SocketChannel ch, long maxBody,
                     NestConfig.Gateway limits, Runnable onClose) throws IOException {
        this.limits = limits;
        this.onClose = onClose;
        this.loop = loop;
        this.upstream = upstream;
        this.dispatcher = dispatcher;
        this.ch = ch;
        this.request = new HttpRequestParser(maxBody);
        this.request.reset();
        this.key = ch.register(loop.selector, SelectionKey.OP_READ, this);
        arm(HEAD, limits.headerTimeout());
    }

    /** Replaces the connection's timer with one for {@code p} after {@code after} ({@code NONE}: no timer). */
    private void arm(int p, java.time.Duration after) {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        phase = p;
        if (p != NONE) {
            timer = loop.schedule(after.toNanos(), () -> expired(p));
        }
    }

    private void expired(int p) {
        if (closed || phase != p) {
            return;
        }
        switch (p) {
            case HEAD -> timedOut("the request head did not arrive within " + limits.headerTimeout().toMillis()
                    + " ms (gateway.header-timeout)");
            case BODY -> {
                if (tooSlow(received - receivedAtCheck, limits.bodyTimeout(), limits.bodyMinRate())) {
                    timedOut("the request body arrived slower than " + limits.bodyMinRate() + " bytes/s over "
                            + limits.bodyTimeout().toMillis() + " ms (gateway.body-min-rate, gateway.body-timeout)");
                } else {
                    receivedAtCheck = received;
                    arm(BODY, limits.bodyTimeout());
                }
            }
            default -> close();
        }
    }

    /** Whether a body that grew by {@code bytes} over {@code window} arrived slower than {@code minRate} bytes/s. Pure. */
    static boolean tooSlow(long bytes, java.time.Duration window, long minRate) {
        return bytes <= 0 || bytes * 1000 < minRate * window.toMillis();
    }

    /** A request that did not arrive in time: 408, then close. */
    private void timedOut(String detail) {
        arm(NONE, null);
        closeAfterWrite = true;
        processing = true;
        key.interestOps(0);
        respondError(408, "request timeout", detail, null);
    }

    boolean closed() {
        return closed;
    }

    @Override
    public void ready(SelectionKey k) throws IOException {
        if (k.isWritable()) {
            flush();
        }
        if (k.isValid() && k.isReadable() && !processing) {
            if (lim == buf.length) {
                compact();
            }
            int n = ch.read(ByteBuffer.wrap(buf, lim, buf.length - lim));
            if (n < 0) {
                close();
                return;
            }
            lim += n;
            received += n;
            parse();
        }
    }

    private void compact() {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        } else {
            buf = java.util.Arrays.copyOf(buf, buf.length * 2);
        }
    }

    private void parse() throws IOException {
        while (!processing && !closed && (pos < lim || request.complete())) {
            try {
                pos = request.feed(buf, pos, lim);
            } catch (HttpRequestParser.BadRequest e) {
                arm(NONE, null);
                closeAfterWrite = true;
                processing = true;
                key.interestOps(0);
                reject(e.status, e.getMessage());
                return;
            }
            if (pos == lim) {
                pos = 0;
                lim = 0;
            }
            if (request.headDone() && request.expectContinue && !sentContinue && !request.complete()) {
                sentContinue = true;
                ch.write(ByteBuffer.wrap(CONTINUE));
            }
            if (!request.complete()) {
                if (request.headDone() && phase != BODY) {
                    receivedAtCheck = received;
                    arm(BODY, limits.bodyTimeout());
                } else if (!request.headDone() && phase == IDLE && pos < lim) {
                    arm(HEAD, limits.headerTimeout());
                }
                if (lim == buf.length && pos == 0 && !request.headDone() && buf.length >= 64 * 1024) {
                    closeAfterWrite = true;
                    processing = true;
                    reject(431, "request head too large");
                }
                return;
            }
            arm(NONE, null);
            processing = true;
            key.interestOps(0);
            generation++;
            dispatcher.dispatch(this);
        }
    }

    private void reject(int status, String detail) {
        String error = switch (status) {
            case 413 -> "request body too large";
            case 431 -> "request header too large";
            case 505 -> "HTTP version not supported";
            case 501 -> "not implemented";
            default -> "bad request";
        };
        respondError(status, error, detail, null);
    }

    /** The client's address (the loopback address when it cannot be read). */
    java.net.InetAddress remoteAddress() {
        try {
            return ch.getRemoteAddress() instanceof java.net.InetSocketAddress a ? a.getAddress()
                    : java.net.InetAddress.getLoopbackAddress();
        } catch (IOException e) {
            return java.net.InetAddress.getLoopbackAddress();
        }
    }

    /** Writes a response; {@code headers} alternates names and values. Loop thread only. */
    void respond(int status, List<String> headers, String contentType, byte[] body, String... extra) {
        if (closed) {
            return;
        }
        boolean keep = request.keepAlive && !closeAfterWrite;
        StringBuilder sb = new StringBuilder(256);
        sb.append(request.http10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(status).append(' ').append(Reasons.of(status)).append("\r\n");
        for (int i = 0; i < headers.size(); i += 2) {
            String n = headers.get(i);
            if (n.regionMatches(true, 0, "x-nest-", 0, 7) || n.equalsIgnoreCase("connection")
                    || n.equalsIgnoreCase("transfer-encoding") || n.equalsIgnoreCase("content-length")) {
                continue;
            }
            sb.append(n).append(": ").append(headers.get(i + 1)).append("\r\n");
        }
        if (contentType != null) {
            sb.append("content-type: ").append(contentType).append("\r\n");
        }
        for (int i = 0; i + 1 < extra.length; i += 2) {
            sb.append(extra[i]).append(": ").append(extra[i + 1]).append("\r\n");
        }
        if (!keep) {
            sb.append("connection: close\r\n");
        } else if (request.http10) {
            sb.append("connection: keep-alive\r\n");
        }
        boolean noBody = request.method != null && request.method.equals("HEAD") || status == 204 || status == 304;
        if (status == 204 || status == 304) {
            sb.append("\r\n");
        } else {
            sb.append("content-length: ").append(noBody ? 0 : body.length).append("\r\n\r\n");
        }
        byte[] head = sb.toString().getBytes(StandardCharsets.UTF_8);
        out = noBody || body.length == 0 ? new ByteBuffer[] {ByteBuffer.wrap(head)}
                : new ByteBuffer[] {ByteBuffer.wrap(head), ByteBuffer.wrap(body)};
        closeAfterWrite = !keep;
        try {
            flush();
        } catch (IOException e) {
            close();
        }
    }

    /**
     * Answers with {@code status} and the JSON body of {@link ErrorResponse}, the one shape of every error of the
     * node; with {@code x-nest-invocation-id} when {@code invocationId} is not null.
     */
    void respondError(int status, String error, String detail, String invocationId) {
        byte[] body = new ErrorResponse(status, error, detail, invocationId).body();
        if (invocationId != null) {
            respond(status, List.of(), "application/json", body, "x-nest-invocation-id", invocationId);
        } else {
            respond(status, List.of(), "application/json", body);
        }
    }

    /**
     * {@link #respondError(int, String, String, String)} with more headers ({@code www-authenticate}), names and
     * values alternating; {@code invocationId} must not be null.
     */
    void respondError(int status, String error, String detail, String invocationId, String... headers) {
        byte[] body = new ErrorResponse(status, error, detail, invocationId).body();
        String[] extra = new String[headers.length + 2];
        extra[0] = "x-nest-invocation-id";
        extra[1] = invocationId;
        System.arraycopy(headers, 0, extra, 2, headers.length);
        respond(status, List.of(), "application/json", body, extra);
    }

    private void flush() throws IOException {
        if (out == null) {
            return;
        }
        long written = ch.write(out);
        if (out[out.length - 1].hasRemaining()) {
            if (phase != WRITE || written > 0) { // idle-timeout counts from the last progress of the write
                arm(WRITE, limits.idleTimeout());
            }
            key.interestOps(SelectionKey.OP_WRITE);
            return;
        }
        out = null;
        if (closeAfterWrite) {
            close();
            return;
        }
        processing = false;
        sentContinue = false;
        request.reset();
        key.interestOps(SelectionKey.OP_READ);
        arm(IDLE, limits.idleTimeout());
        parse();
    }

    @Override
    public void failed(Throwable t) {
        close();
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        generation++;
        arm(NONE, null);
        onClose.run();
        key.cancel();
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
