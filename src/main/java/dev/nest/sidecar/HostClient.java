package dev.nest.sidecar;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A minimal HTTP/1.1 client for one runtime host: the gateway's forwarding hop and the agent's control calls.
 *
 * <p>It exists because the hop to the host is the hot path of every warm invocation: requests are written
 * with one buffered write, responses are parsed straight from the socket (the contract guarantees
 * {@code Content-Length}; chunked bodies are accepted too), and keep-alive connections are pooled. A
 * connection reused from the pool that fails before any response byte arrives is retried once on a fresh
 * connection (the host closed it while idle); any other failure is reported, never retried.
 *
 * <p>Thread-safe; any number of threads may call at once, each using its own connection.
 */
public final class HostClient implements AutoCloseable {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final long MAX_IDLE_NANOS = 20_000_000_000L;

    private final InetSocketAddress address;
    private final byte[] hostHeader;
    private final byte[] secretHeader;
    private final ConcurrentLinkedDeque<Conn> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;
    /** The host's Unix domain socket, once the agent saw it listening (the gateway's hop may use it). */
    private volatile HostSocket socket;
    private final boolean pipelines;

    /** Receives headers to forward. */
    public interface HeaderSink {
        void header(String name, String value);
    }

    /** Supplies the caller's headers; the client drops hop-by-hop ones and {@code X-Nest-*}. */
    public interface HeaderSource {
        void forEach(HeaderSink sink);
    }

    /** A host's answer. {@code headers} alternates names and values. */
    public record Response(int status, List<String> headers, byte[] body) {
        public java.util.Optional<String> header(String name) {
            for (int i = 0; i < headers.size(); i += 2) {
                if (headers.get(i).equalsIgnoreCase(name)) {
                    return java.util.Optional.of(headers.get(i + 1));
                }
            }
            return java.util.Optional.empty();
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** The host did not answer before the deadline. */
    public static final class TimeoutException extends IOException {
        public TimeoutException(String message) {
            super(message);
        }
    }

    public HostClient(String host, int port, String secret) {
        this(host, port, secret, false);
    }

    /**
     * @param pipelines whether the host runs pipelined requests at the same time (its runtime's {@code pipelining}),
     *                  so that the gateway may write several invocations to it on one connection
     */
    public HostClient(String host, int port, String secret, boolean pipelines) {
        this.pipelines = pipelines;
        this.address = new InetSocketAddress(host, port);
        this.hostHeader = ("Host: " + host + ":" + port + "\r\n").getBytes(StandardCharsets.US_ASCII);
        this.secretHeader = ("X-Nest-Secret: " + secret + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    public int port() {
        return address.getPort();
    }

    /** Whether the gateway may pipeline invocations to this host (its runtime's {@code pipelining}). */
    public boolean pipelines() {
        return pipelines;
    }

    /**
     * The host's Unix domain socket (ADR 0032), when it listens on one: the gateway forwards invocations over it;
     * this client's own calls always use the TCP port.
     */
    public java.util.Optional<HostSocket> socket() {
        return java.util.Optional.ofNullable(socket);
    }

    /** Records that the host listens on {@code s} (the node agent, once the host is healthy). */
    public void useSocket(HostSocket s) {
        this.socket = java.util.Objects.requireNonNull(s, "socket");
    }

    /** A control call ({@code /health}, {@code /load}, {@code /unload}) with a JSON or empty body. */
    public Response call(String method, String target, byte[] body, long timeoutMillis) throws IOException {
        return exchange(method, target, null, null, 0, body, System.nanoTime() + timeoutMillis * 1_000_000L);
    }

    /**
     * Forwards one invocation.
     *
     * @param deadlineNanos {@link System#nanoTime()} by which the answer must have arrived
     */
    public Response forward(String method, String target, HeaderSource headers, String invocationId,
                            long deadlineEpochMillis, byte[] body, long deadlineNanos) throws IOException {
        return exchange(method, target, headers, invocationId, deadlineEpochMillis, body, deadlineNanos);
    }

    private Response exchange(String method, String target, HeaderSource headers, String invocationId,
                              long deadlineEpochMillis, byte[] body, long deadlineNanos) throws IOException {
        Conn c = pooled();
        boolean reused = c != null;
        if (c == null) {
            c = open(deadlineNanos);
        }
        while (true) {
            try {
                c.write(method, target, hostHeader, secretHeader, headers, invocationId, deadlineEpochMillis, body);
                Response r = c.read(method, deadlineNanos);
                if (c.reusable && !closed) {
                    c.lastUsed = System.nanoTime();
                    idle.push(c);
                } else {
                    c.close();
                }
                return r;
            } catch (StaleConnectionException stale) {
                c.close();
                if (!reused) {
                    throw new EOFException("runtime host on port " + address.getPort() + " closed the connection without answering");
                }
                reused = false;
                c = open(deadlineNanos);
            } catch (SocketTimeoutException e) {
                c.close();
                throw new TimeoutException("runtime host on port " + address.getPort() + " did not answer in time");
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
        }
    }

    private Conn pooled() {
        Conn c;
        long now = System.nanoTime();
        while ((c = idle.poll()) != null) {
            if (now - c.lastUsed < MAX_IDLE_NANOS) {
                return c;
            }
            c.close();
        }
        return null;
    }

    private Conn open(long deadlineNanos) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        long ms = Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000);
        try {
            s.connect(address, (int) Math.min(ms, 10_000));
        } catch (SocketTimeoutException e) {
            s.close();
            throw new TimeoutException("runtime host on port " + address.getPort() + " did not accept a connection in time");
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new Conn(s);
    }

    /** Closes pooled connections; calls in flight finish on their own connections. */
    @Override
    public void close() {
        closed = true;
        Conn c;
        while ((c = idle.poll()) != null) {
            c.close();
        }
    }

    /**
     * The head of one invocation request, for a caller that does its own I/O, such as the gateway's event loop: it is
     * encoded into {@code into} (whose bytes are then {@code into.bytes()[0, into.length())}), replacing what it held;
     * the body of {@code bodyLength} bytes follows it. The target is {@code /invoke/<instanceId><rest>}, written in its
     * pieces (no joined string per request). {@code headers} alternates names and values; hop-by-hop and
     * {@code X-Nest-*} headers are dropped, the secret, invocation id and deadline are added. A {@code Host} among
     * {@code headers} (the client's) is passed on; without one, the host's own address is sent. Allocates nothing
     * once {@code into} has grown to the largest head seen.
     */
    public void encodeInvocation(Head into, String method, String instanceId, String rest, List<String> headers,
                                 String invocationId, long deadlineEpochMillis, int bodyLength) {
        Encoder e = into.encoder;
        e.reset();
        // the function sees the client's Host, not the pod's address
        String clientHost = null;
        for (int i = 0; i < headers.size(); i += 2) {
            String n = headers.get(i);
            if (n.length() == 4 && n.equalsIgnoreCase("host")) {
                clientHost = headers.get(i + 1);
                break;
            }
        }
        e.head(method, instanceId, rest, clientHost, hostHeader, secretHeader, headers, invocationId,
                deadlineEpochMillis, bodyLength);
    }

    /**
     * A reusable buffer for the head of one host request ({@link #encodeInvocation}): it grows to the largest head
     * encoded into it and is overwritten by the next. Not thread-safe: one per thread (the gateway keeps one per
     * event loop), and its bytes are to be copied out before the next encoding.
     */
    public static final class Head {
        private final Encoder encoder = new Encoder();

        /** The buffer; the head is its first {@link #length()} bytes. */
        public byte[] bytes() {
            return encoder.buf;
        }

        /** How many bytes of {@link #bytes()} the last encoded head takes. */
        public int length() {
            return encoder.len;
        }
    }

    /** Writes request heads into a growable buffer. */
    static final class Encoder {
        byte[] buf = new byte[2048];
        int len;

        void reset() {
            len = 0;
        }

        void head(String method, String target, byte[] hostHeader, byte[] secretHeader, HeaderSource headers,
                  String invocationId, long deadlineEpochMillis, int bodyLength) {
            start(method, target, hostHeader, secretHeader, invocationId, deadlineEpochMillis);
            if (headers != null) {
                headers.forEach(this::header);
            }
            end(bodyLength);
        }

        /**
         * An invocation's head with the headers as a list (names and values alternating), the target
         * {@code /invoke/<instanceId><rest>} and the client's Host, if any.
         */
        void head(String method, String instanceId, String rest, String clientHost, byte[] hostHeader,
                  byte[] secretHeader, List<String> headers, String invocationId, long deadlineEpochMillis,
                  int bodyLength) {
            ascii(method);
            ascii(" /invoke/");
            utf8(instanceId);
            utf8(rest);
            ascii(" HTTP/1.1\r\n");
            if (clientHost == null) {
                put(hostHeader);
            } else {
                ascii("Host: ");
                utf8(clientHost);
                put(CRLF);
            }
            nestHeaders(secretHeader, invocationId, deadlineEpochMillis);
            for (int i = 0; i < headers.size(); i += 2) {
                header(headers.get(i), headers.get(i + 1));
            }
            end(bodyLength);
        }

        private void start(String method, String target, byte[] hostHeader, byte[] secretHeader, String invocationId,
                           long deadlineEpochMillis) {
            requestLine(method, target);
            put(hostHeader);
            nestHeaders(secretHeader, invocationId, deadlineEpochMillis);
        }

        private void requestLine(String method, String target) {
            ascii(method);
            put((byte) ' ');
            utf8(target);
            ascii(" HTTP/1.1\r\n");
        }

        private void nestHeaders(byte[] secretHeader, String invocationId, long deadlineEpochMillis) {
            put(secretHeader);
            if (invocationId != null) {
                ascii("X-Nest-Invocation-Id: ");
                ascii(invocationId);
                put(CRLF);
                ascii("X-Nest-Deadline: ");
                decimal(deadlineEpochMillis);
                put(CRLF);
            }
        }

        private void header(String name, String value) {
            if (!skipped(name)) {
                utf8(name);
                put((byte) ':');
                put((byte) ' ');
                utf8(value);
                put(CRLF);
            }
        }

        private void end(int bodyLength) {
            ascii("Content-Length: ");
            decimal(bodyLength);
            ascii("\r\n\r\n");
        }

        /** {@code v} in decimal digits, without a String on the way. */
        void decimal(long v) {
            if (v < 0) {
                ascii(Long.toString(v));
                return;
            }
            int digits = 1;
            for (long t = v; t >= 10; t /= 10) {
                digits++;
            }
            ensure(digits);
            int end = len + digits;
            for (int i = end - 1; i >= len; i--) {
                buf[i] = (byte) ('0' + v % 10);
                v /= 10;
            }
            len = end;
        }

        static boolean skipped(String name) {
            if (name.isEmpty()) {
                return true;
            }
            char c = Character.toLowerCase(name.charAt(0));
            return switch (c) {
                case 'h' -> name.length() == 4 && name.equalsIgnoreCase("host");
                case 'c' -> name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("content-length");
                case 'k' -> name.equalsIgnoreCase("keep-alive");
                case 't' -> name.equalsIgnoreCase("transfer-encoding") || name.equalsIgnoreCase("te")
                        || name.equalsIgnoreCase("trailer");
                case 'u' -> name.equalsIgnoreCase("upgrade");
                case 'p' -> name.regionMatches(true, 0, "proxy-", 0, 6);
                case 'x' -> name.regionMatches(true, 0, "x-nest-", 0, 7);
                case 'e' -> name.equalsIgnoreCase("expect");
                default -> false;
            };
        }

        private void ensure(int extra) {
            if (len + extra > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
            }
        }

        void put(byte b) {
            ensure(1);
            buf[len++] = b;
        }

        void put(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
        }

        void ascii(String s) {
            int n = s.length();
            ensure(n);
            for (int i = 0; i < n; i++) {
                buf[len++] = (byte) s.charAt(i);
            }
        }

        /** {@code s} in UTF-8 without CR and LF; one pass for the usual ASCII text. */
        void utf8(String s) {
            int n = s.length();
            ensure(n);
            int start = len;
            for (int i = 0; i < n; i++) {
                char ch = s.charAt(i);
                if (ch >= 0x80 || ch == '\r' || ch == '\n') {
                    len = start;
                    put(s.replace("\r", "").replace("\n", "").getBytes(StandardCharsets.UTF_8));
                    return;
                }
                buf[len++] = (byte) ch;
            }
        }
    }

    private static final class StaleConnectionException extends IOException {
        StaleConnectionException() {
            super("stale pooled connection");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** One keep-alive connection. Used by one thread at a time. */
    private static final class Conn {
        private final Socket socket;
        private final InputStream raw;
        private final OutputStream out;
        private final byte[] rbuf = new byte[16 * 1024];
        private int rpos;
        private int rlim;
        private final byte[] line = new byte[8192];
        private final Encoder enc = new Encoder();
        private long deadline;
        boolean reusable = true;
        long lastUsed = System.nanoTime();

        Conn(Socket socket) throws IOException {
            this.socket = socket;
            this.raw = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        void write(String method, String target, byte[] hostHeader, byte[] secretHeader, HeaderSource headers,
                   String invocationId, long deadlineEpochMillis, byte[] body) throws IOException {
            enc.reset();
            enc.head(method, target, hostHeader, secretHeader, headers, invocationId, deadlineEpochMillis,
                    body == null ? 0 : body.length);
            if (body != null && body.length > 0 && body.length <= 16 * 1024) {
                enc.put(body);
                out.write(enc.buf, 0, enc.len);
            } else {
                out.write(enc.buf, 0, enc.len);
                if (body != null && body.length > 0) {
                    out.write(body);
                }
            }
            out.flush();
        }

        Response read(String method, long deadlineNanos) throws IOException {
            this.deadline = deadlineNanos;
            int n = readLine(true);
            if (n < 12 || line[0] != 'H') {
                throw new IOException("malformed status line from runtime host: " + new String(line, 0, Math.max(0, n), StandardCharsets.ISO_8859_1));
            }
            int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
            boolean http10 = line[7] == '0';
            List<String> headers = new ArrayList<>(16);
            long contentLength = -1;
            boolean chunked = false;
            boolean close = http10;
            while ((n = readLine(false)) > 0) {
                int colon = -1;
                for (int i = 0; i < n; i++) {
                    if (line[i] == ':') {
                        colon = i;
                        break;
                    }
                }
                if (colon <= 0) {
                    continue;
                }
                String name = new String(line, 0, colon, StandardCharsets.ISO_8859_1);
                int vs = colon + 1;
                while (vs < n && (line[vs] == ' ' || line[vs] == '\t')) {
                    vs++;
                }
                String value = new String(line, vs, n - vs, StandardCharsets.UTF_8);
                if (name.equalsIgnoreCase("content-length")) {
                    contentLength = Long.parseLong(value.trim());
                } else if (name.equalsIgnoreCase("transfer-encoding")) {
                    chunked = value.toLowerCase().contains("chunked");
                } else if (name.equalsIgnoreCase("connection")) {
                    close = value.equalsIgnoreCase("close") || (http10 && !value.equalsIgnoreCase("keep-alive"));
                } else if (!name.equalsIgnoreCase("keep-alive") && !name.equalsIgnoreCase("date")) {
                    headers.add(name);
                    headers.add(value);
                }
            }
            byte[] body;
            if (method.equals("HEAD") || status == 204 || status == 304 || status < 200) {
                body = new byte[0];
            } else if (chunked) {
                body = readChunked();
            } else if (contentLength >= 0) {
                if (contentLength > Integer.MAX_VALUE - 16) {
                    throw new IOException("runtime host answered a body of " + contentLength + " bytes, too large");
                }
                body = readN((int) contentLength);
            } else {
                java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
                all.write(rbuf, rpos, rlim - rpos);
                rpos = rlim;
                byte[] chunk = new byte[16 * 1024];
                int r;
                while (true) {
                    armTimeout();
                    if ((r = raw.read(chunk)) < 0) {
                        break;
                    }
                    all.write(chunk, 0, r);
                }
                body = all.toByteArray();
                close = true;
            }
            reusable = !close;
            return new Response(status, headers, body);
        }

        private byte[] readChunked() throws IOException {
            java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
            while (true) {
                int n = readLine(false);
                String size = new String(line, 0, n, StandardCharsets.ISO_8859_1);
                int semi = size.indexOf(';');
                int len = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (len == 0) {
                    while (readLine(false) > 0) {
                        // trailers are dropped
                    }
                    return bos.toByteArray();
                }
                bos.write(readN(len));
                readLine(false);
            }
        }

        /** Reads exactly {@code n} bytes (buffered first, then straight from the socket). */
        private byte[] readN(int n) throws IOException {
            byte[] b = new byte[n];
            int have = Math.min(n, rlim - rpos);
            System.arraycopy(rbuf, rpos, b, 0, have);
            rpos += have;
            while (have < n) {
                armTimeout();
                int r = raw.read(b, have, n - have);
                if (r < 0) {
                    throw new EOFException("runtime host closed the connection in the middle of the body");
                }
                have += r;
            }
            return b;
        }

        /** Each read waits only for what is left until the deadline, so a slow trickle cannot outlive it. */
        private void armTimeout() throws IOException {
            long ms = (deadline - System.nanoTime()) / 1_000_000;
            if (ms <= 0) {
                throw new SocketTimeoutException("deadline passed");
            }
            socket.setSoTimeout((int) Math.min(ms, Integer.MAX_VALUE));
        }

        private int next() throws IOException {
            if (rpos == rlim) {
                armTimeout();
                int r = raw.read(rbuf, 0, rbuf.length);
                if (r <= 0) {
                    return -1;
                }
                rpos = 0;
                rlim = r;
            }
            return rbuf[rpos++] & 0xff;
        }

        /** Reads one CRLF-terminated line into {@link #line}; returns its length without CRLF. */
        private int readLine(boolean first) throws IOException {
            int n = 0;
            while (true) {
                int b = next();
                if (b < 0) {
                    if (first && n == 0) {
                        throw new StaleConnectionException();
                    }
                    throw new EOFException("runtime host closed the connection in the middle of a response");
                }
                if (b == '\n') {
                    return n > 0 && line[n - 1] == '\r' ? n - 1 : n;
                }
                if (n == line.length) {
                    throw new IOException("runtime host sent a header line longer than " + line.length + " bytes");
                }
                line[n++] = (byte) b;
            }
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }
}
