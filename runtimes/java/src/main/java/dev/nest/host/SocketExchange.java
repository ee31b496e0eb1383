package dev.nest.host;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One request on the host's Unix socket as an {@link HttpExchange}, so that the host's one handler serves the socket
 * as it serves the TCP port ({@link UnixSocketHttpServer}). The request body is exactly {@code Content-Length} bytes
 * of the connection; the response always carries {@code Content-Length} ({@link #sendResponseHeaders} with a length
 * of 0, which {@code HttpServer} would send chunked, buffers the body and sends it with its length on
 * {@link #close}). Response headers with CR, LF or NUL fail the response and the connection.
 *
 * <p>{@link Connection} reads requests off one connection and serves them one after the other. Not thread-safe: one
 * thread serves one connection.
 */
final class SocketExchange extends HttpExchange {
    private static final DateTimeFormatter DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
    private static final InetSocketAddress LOCAL = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static volatile String date = "";
    private static volatile long dateSecond = -1;

    private final RequestHead head;
    private final URI uri;
    private final Body body;
    private final OutputStream out;
    private final Headers responseHeaders = new Headers();
    private final Map<String, Object> attributes = new HashMap<>(2);
    private int code = -1;
    private long remaining;
    private ByteArrayOutputStream buffered;
    private OutputStream responseBody;
    private boolean done;
    /** Whether the connection can carry another request once this one is done. */
    private boolean reusable = true;

    private SocketExchange(RequestHead head, URI uri, InputStream in, OutputStream out) {
        this.head = head;
        this.uri = uri;
        this.body = new Body(in, head.contentLength());
        this.out = out;
    }

    /** The requests of one connection, served one after the other. */
    static final class Connection {
        private final InputStream in;
        private final OutputStream out;

        Connection(SocketChannel channel) {
            this(new BufferedInputStream(Channels.newInputStream(channel), 16 * 1024),
                    new BufferedOutputStream(Channels.newOutputStream(channel), 16 * 1024));
        }

        Connection(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        /**
         * Reads one request and has {@code handler} answer it; whether the connection may carry another one. A
         * malformed request is answered here (its status, a JSON error, {@code Connection: close}).
         */
        boolean serveOne(HttpHandler handler) throws IOException {
            Optional<RequestHead> read;
            URI uri;
            try {
                read = RequestHead.read(in);
                if (read.isEmpty()) {
                    return false;
                }
                try {
                    uri = new URI(read.get().target());
                } catch (URISyntaxException e) {
                    throw new RequestHead.Malformed(400, "the request target is not a valid URI path");
                }
            } catch (RequestHead.Malformed e) {
                refuse(e.status, e.getMessage());
                return false;
            }
            RequestHead head = read.get();
            if (head.expectContinue()) {
                out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
            SocketExchange ex = new SocketExchange(head, uri, in, out);
            try {
                handler.handle(ex);
            } finally {
                ex.close();
            }
            return ex.reusable && head.keepAlive();
        }

        private void refuse(int status, String why) throws IOException {
            byte[] b = ("{\"error\":\"bad request\",\"detail\":\"" + why.replace("\"", "'") + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            String head = "HTTP/1.1 " + status + " " + reason(status) + "\r\nContent-Type: application/json\r\n"
                    + "X-Nest-Error: bad-request\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(b);
            out.flush();
        }
    }

    @Override
    public Headers getRequestHeaders() {
        return head.headers();
    }

    @Override
    public Headers getResponseHeaders() {
        return responseHeaders;
    }

    @Override
    public URI getRequestURI() {
        return uri;
    }

    @Override
    public String getRequestMethod() {
        return head.method();
    }

    @Override
    public HttpContext getHttpContext() {
        throw new UnsupportedOperationException("the host's socket has no HttpContext");
    }

    @Override
    public InputStream getRequestBody() {
        return body;
    }

    @Override
    public OutputStream getResponseBody() {
        if (responseBody == null) {
            responseBody = new ResponseBody();
        }
        return responseBody;
    }

    /**
     * Sends the status line and headers. {@code length}: more than 0, a body of that many bytes follows; -1, no body
     * ({@code Content-Length: 0}, or the handler's own {@code Content-Length} for HEAD); 0, a body of unknown length,
     * buffered and sent with its length on {@link #close}.
     */
    @Override
    public void sendResponseHeaders(int rCode, long length) throws IOException {
        if (code >= 0) {
            throw new IOException("the response headers were sent already");
        }
        if (rCode < 200 || rCode > 999) {
            throw new IOException("status " + rCode + " cannot answer a request on the host's socket");
        }
        code = rCode;
        if (length == 0) {
            buffered = new ByteArrayOutputStream();
            return;
        }
        boolean noBody = rCode == 204 || rCode == 304;
        if (length > 0 && !noBody) {
            responseHeaders.set("Content-Length", Long.toString(length));
            remaining = length;
        } else if (noBody) {
            responseHeaders.remove("Content-Length");
        } else if (!head.method().equals("HEAD") || !responseHeaders.containsKey("Content-Length")) {
            responseHeaders.set("Content-Length", "0");
        }
        writeHead();
    }

    private void writeHead() throws IOException {
        StringBuilder sb = new StringBuilder(256);
        sb.append("HTTP/1.1 ").append(code).append(' ').append(reason(code)).append("\r\n");
        sb.append("Date: ").append(date()).append("\r\n");
        if (!head.keepAlive()) {
            responseHeaders.set("Connection", "close");
        }
        for (Map.Entry<String, List<String>> e : responseHeaders.entrySet()) {
            String name = e.getKey();
            if (name.equalsIgnoreCase("Date")) {
                continue;
            }
            for (String v : e.getValue()) {
                if (!safe(name) || !safe(v)) {
                    reusable = false;
                    throw new IOException("response header " + name + " holds CR, LF or NUL");
                }
                sb.append(name).append(": ").append(v).append("\r\n");
            }
        }
        sb.append("\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static boolean safe(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                return false;
            }
        }
        return true;
    }

    private static String date() {
        long now = System.currentTimeMillis() / 1000;
        if (now != dateSecond) {
            date = DATE.format(Instant.ofEpochSecond(now));
            dateSecond = now;
        }
        return date;
    }

    /**
     * Ends the exchange: a buffered body is sent with its length; the rest of the request body is read off the
     * connection (so that the next request starts at its first byte); a response that was never sent, or whose body
     * fell short of its length, leaves the connection unusable.
     */
    @Override
    public void close() {
        if (done) {
            return;
        }
        done = true;
        try {
            if (code < 0) {
                reusable = false;
                return;
            }
            if (buffered != null) {
                responseHeaders.set("Content-Length", Integer.toString(buffered.size()));
                writeHead();
                buffered.writeTo(out);
            } else if (remaining != 0) {
                reusable = false;
            }
            out.flush();
            if (reusable && body.skipRest() != 0) {
                reusable = false;
            }
        } catch (IOException e) {
            reusable = false;
        }
    }

    static String reason(int code) {
        return switch (code) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 417 -> "Expectation Failed";
            case 422 -> "Unprocessable Content";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> "";
        };
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
        return LOCAL;
    }

    @Override
    public int getResponseCode() {
        return code;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return LOCAL;
    }

    @Override
    public String getProtocol() {
        return head.http10() ? "HTTP/1.0" : "HTTP/1.1";
    }

    @Override
    public Object getAttribute(String name) {
        return attributes.get(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
        attributes.put(name, value);
    }

    @Override
    public void setStreams(InputStream i, OutputStream o) {
        throw new UnsupportedOperationException("the host's socket does not filter streams");
    }

    @Override
    public com.sun.net.httpserver.HttpPrincipal getPrincipal() {
        return null;
    }

    /** The request body: exactly its length's bytes of the connection; closing it does not close the connection. */
    private static final class Body extends InputStream {
        private final InputStream in;
        private long left;

        Body(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection ended " + left + " bytes before the end of the request body");
            }
            left--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new IOException("the connection ended " + left + " bytes before the end of the request body");
            }
            left -= n;
            return n;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(left, in.available());
        }

        /** Reads what is left of the body; the bytes that could not be read (0 when all were). */
        long skipRest() throws IOException {
            byte[] sink = new byte[8192];
            while (left > 0) {
                read(sink, 0, sink.length);
            }
            return left;
        }

        @Override
        public void close() {
            // the connection stays open for the next request
        }
    }

    /** The response body: at most the announced length, or buffered when none was announced. */
    private final class ResponseBody extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (code < 0) {
                throw new IOException("the response headers were not sent yet");
            }
            if (buffered != null) {
                buffered.write(b, off, len);
                return;
            }
            if (len > remaining) {
                reusable = false;
                throw new IOException("the response body is longer than its Content-Length");
            }
            out.write(b, off, len);
            remaining -= len;
        }

        @Override
        public void close() {
            // sent when the exchange closes
        }
    }
}
