package dev.nest.gateway;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keep-alive connections from one event loop to upstream servers (runtime hosts, the admin server, other
 * nodes' gateways), and the exchange of one request on one of them. Loop thread only.
 *
 * <p>No request is ever sent twice: a pooled connection is checked before it is used (a peer that closed it
 * while idle is seen as end-of-stream, and the connection is dropped for another or a new one), and a request
 * whose write fails before any byte left is sent on a new connection, once. Once a byte of the request was
 * written, every failure is reported to the caller, which alone knows whether the request may be repeated. A
 * failure before any byte of the request was written is reported as {@link NothingSent} (or the
 * {@link java.net.ConnectException} of a refused connection), so that the caller knows the peer saw nothing.
 */
final class Upstream {
    /** The outcome of one exchange. */
    interface Callback {
        void done(HttpResponseParser response);

        void failed(IOException error, boolean timedOut);
    }

    private final EventLoop loop;
    /** Idle connections by target: an {@code Integer} port on 127.0.0.1, or a peer's {@link InetSocketAddress}. */
    private final Map<Object, ArrayDeque<Conn>> idle = new HashMap<>();

    Upstream(EventLoop loop) {
        this.loop = loop;
    }

    /** Sends {@code request} to 127.0.0.1:{@code port}; calls back on the loop thread. */
    void exchange(int port, ByteBuffer[] request, boolean head, long deadlineNanos, Callback cb) {
        exchange(port, null, request, head, deadlineNanos, cb);
    }

    /** Sends {@code request} to another node's gateway at {@code peer}; calls back on the loop thread. */
    void exchange(InetSocketAddress peer, ByteBuffer[] request, boolean head, long deadlineNanos, Callback cb) {
        exchange(peer, peer, request, head, deadlineNanos, cb);
    }

    /** On an idle connection to {@code poolKey} if there is one, else on a new one to {@code address}. */
    private void exchange(Object poolKey, InetSocketAddress address, ByteBuffer[] request, boolean head,
                          long deadlineNanos, Callback cb) {
        Conn c = pooled(poolKey);
        if (c == null) {
            exchangeFresh(poolKey, address, request, head, deadlineNanos, cb);
        } else {
            c.start(request, head, deadlineNanos, cb, true);
        }
    }

    /** @param address where to connect, or null for 127.0.0.1 and the {@code Integer} port {@code poolKey} */
    private void exchangeFresh(Object poolKey, InetSocketAddress address, ByteBuffer[] request, boolean head,
                               long deadlineNanos, Callback cb) {
        Conn c;
        try {
            c = new Conn(poolKey, address != null ? address : new InetSocketAddress("127.0.0.1", (Integer) poolKey));
        } catch (IOException e) {
            cb.failed(e, false);
            return;
        }
        c.start(request, head, deadlineNanos, cb, false);
    }

    private Conn pooled(Object poolKey) {
        ArrayDeque<Conn> q = idle.get(poolKey);
        if (q == null) {
            return null;
        }
        Conn c;
        while ((c = q.pollLast()) != null) {
            if (c.ch.isOpen() && c.stillOpen()) {
                return c;
            }
            c.close();
        }
        return null;
    }

    /** Closes idle connections to {@code port} (its instance went away). */
    void forget(int port) {
        forget((Object) port);
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

    private final class Conn implements EventLoop.IoHandler {
        final Object poolKey;
        final InetSocketAddress address;
        final SocketChannel ch;
        final SelectionKey key;
        final HttpResponseParser parser = new HttpResponseParser();
        final byte[] buf = new byte[16 * 1024];
        final ByteBuffer in = ByteBuffer.wrap(buf);
        ByteBuffer[] out;
        Callback cb;
        EventLoop.Timer timer;
        boolean reused;
        boolean busy;
        /** Bytes of the current request written so far. */
        long written;
        ByteBuffer[] retryRequest;
        boolean retryHead;
        long retryDeadline;

        Conn(Object poolKey, InetSocketAddress address) throws IOException {
            this.poolKey = poolKey;
            this.address = address;
            ch = SocketChannel.open();
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                boolean connected = ch.connect(address);
                key = ch.register(loop.selector, connected ? 0 : SelectionKey.OP_CONNECT, this);
            } catch (IOException e) {
                ch.close();
                throw e;
            }
        }

        /** An idle connection the peer has not closed: a non-blocking read sees neither end-of-stream nor data. */
        boolean stillOpen() {
            try {
                return ch.read(ByteBuffer.allocate(1)) == 0;
            } catch (IOException e) {
                return false;
            }
        }

        void start(ByteBuffer[] request, boolean head, long deadlineNanos, Callback callback, boolean wasReused) {
            this.cb = callback;
            this.reused = wasReused;
            this.busy = true;
            this.written = 0;
            this.out = request;
            this.retryRequest = request;
            this.retryHead = head;
            this.retryDeadline = deadlineNanos;
            for (ByteBuffer b : request) {
                b.mark();
            }
            parser.reset(head);
            in.clear();
            long delay = deadlineNanos - System.nanoTime();
            if (delay <= 0) {
                fail(new HostTimeout(), true);
                return;
            }
            timer = loop.schedule(delay, () -> {
                timer = null;
                fail(new HostTimeout(), true);
            });
            if (ch.isConnected()) {
                try {
                    write();
                } catch (IOException e) {
                    if (reused && written == 0) {
                        retry(); // the pooled connection broke before any byte of this request left
                    } else {
                        fail(e, false);
                    }
                }
            }
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
            if (k.isConnectable()) {
                ch.finishConnect();
                k.interestOps(0);
                write();
                return;
            }
            if (k.isWritable()) {
                write();
            }
            if (k.isValid() && k.isReadable()) {
                read();
            }
        }

        private void write() throws IOException {
            written += ch.write(out);
            if (out[out.length - 1].hasRemaining()) {
                key.interestOps(SelectionKey.OP_WRITE);
            } else {
                key.interestOps(SelectionKey.OP_READ);
            }
        }

        private void read() throws IOException {
            while (true) {
                int n = ch.read(in);
                if (n < 0) {
                    if (!busy) {
                        close();
                        return;
                    }
                    if (written == 0 && reused) {
                        retry();
                        return;
                    }
                    if (parser.closed()) {
                        finish();
                        return;
                    }
                    throw new EOFException("the upstream closed the connection before the response was complete");
                }
                if (n == 0) {
                    return;
                }
                if (!busy) {
                    close();
                    return;
                }
                int consumed;
                try {
                    consumed = parser.feed(buf, 0, in.position());
                } catch (HttpResponseParser.Malformed e) {
                    throw new IOException(e.getMessage());
                }
                if (consumed > 0) {
                    System.arraycopy(buf, consumed, buf, 0, in.position() - consumed);
                    in.position(in.position() - consumed);
                }
                if (parser.complete()) {
                    finish();
                    return;
                }
                if (!in.hasRemaining()) {
                    throw new IOException("upstream response head too large");
                }
            }
        }

        private void retry() {
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
            Callback c = cb;
            ByteBuffer[] request = retryRequest;
            cb = null;
            busy = false;
            retryRequest = null;
            close();
            for (ByteBuffer b : request) {
                b.reset();
            }
            exchangeFresh(poolKey, address, request, retryHead, retryDeadline, c);
        }

        private void finish() {
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
            busy = false;
            Callback c = cb;
            cb = null;
            out = null;
            retryRequest = null;
            if (parser.keepAlive && ch.isOpen()) {
                idle.computeIfAbsent(poolKey, p -> new ArrayDeque<>()).addLast(this);
            } else {
                close();
            }
            c.done(parser);
        }

        private void fail(IOException e, boolean timedOut) {
            if (timer != null) {
                timer.cancel();
                timer = null;
            }
            close();
            Callback c = cb;
            cb = null;
            busy = false;
            if (c != null) {
                boolean nothingSent = written == 0 && !timedOut && !(e instanceof java.net.ConnectException);
                c.failed(nothingSent ? new NothingSent(e) : e, timedOut);
            }
        }

        @Override
        public void failed(Throwable t) {
            fail(t instanceof IOException io ? io : new IOException(t.toString(), t), false);
        }

        void close() {
            key.cancel();
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing
            }
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
