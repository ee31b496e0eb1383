package dev.nest.gateway;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * One client connection to the gateway that writes requests as raw bytes and reads {@code content-length}
 * responses, so that a test controls keep-alive, chunked bodies and HEAD exactly.
 */
final class RawClient implements AutoCloseable {
    /**
     * One response.
     *
     * @param statusLine the first line, such as {@code HTTP/1.1 200 OK}
     * @param headers    names in lower case
     */
    record Response(String statusLine, int status, Map<String, String> headers, byte[] body) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawClient(int port) throws IOException {
        this(new Socket(InetAddress.getLoopbackAddress(), port));
    }

    /** A client on a connected socket (a TLS one, say). */
    RawClient(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout((int) (FakeHost.BOUND_S * 1000));
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Sends {@code bytes} as they are. */
    RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends {@code text} (ISO-8859-1) as it is. */
    RawClient send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    /** Sends a request with the given headers (lines without CRLF) and a {@code content-length} body. */
    RawClient request(String method, String target, String body, String... headerLines) throws IOException {
        StringBuilder sb = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nhost: gateway\r\n");
        for (String h : headerLines) {
            sb.append(h).append("\r\n");
        }
        if (!body.isEmpty()) {
            sb.append("content-length: ").append(body.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\n");
        }
        return send(sb.append("\r\n").append(body).toString());
    }

    /** Reads one response; {@code head}: the request was HEAD, so no body follows. */
    Response read(boolean head) throws IOException {
        String status = FakeHost.line(in);
        if (status == null) {
            throw new IOException("the gateway closed the connection without answering");
        }
        Map<String, String> headers = FakeHost.headers(in);
        int length = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Response(status, Integer.parseInt(status.split(" ")[1]), headers, in.readNBytes(length));
    }

    Response read() throws IOException {
        return read(false);
    }

    /** Whether the gateway closed the connection (end of stream next). */
    boolean closedByServer() throws IOException {
        return in.read() < 0;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
