package dev.nest.gateway;

import dev.nest.common.ErrorResponse;
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
 */
final class ClientConnection implements EventLoop.IoHandler {
    /** Serves one complete request ({@link #request}); answers with {@link #respond} or {@link #respondError}, now or later on the loop thread. */
    interface Dispatcher {
        void dispatch(ClientConnection c);
    }

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
    /** Incremented per request, so that a late answer to an abandoned request is dropped. */
    long generation;

    ClientConnection(EventLoop loop, Upstream upstream, Dispatcher dispatcher, SocketChannel ch, long maxBody) throws IOException {
        this.loop = loop;
        this.upstream = upstream;
        this.dispatcher = dispatcher;
        this.ch = ch;
        this.request = new HttpRequestParser(maxBody);
        this.request.reset();
        this.key = ch.register(loop.selector, SelectionKey.OP_READ, this);
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
                if (lim == buf.length && pos == 0 && !request.headDone() && buf.length >= 64 * 1024) {
                    closeAfterWrite = true;
                    processing = true;
                    reject(431, "request head too large");
                }
                return;
            }
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
        ch.write(out);
        if (out[out.length - 1].hasRemaining()) {
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
        key.cancel();
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
