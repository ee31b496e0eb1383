package dev.nest.gateway;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny HTTP/1.1 server on a loopback port chosen by the system, standing in for a runtime host, the admin
 * server or another node's gateway. It reads each request (head and a {@code content-length} body), queues it
 * in {@link #requests} and lets {@link #handler} write whatever bytes it likes, so that a test can answer,
 * hang, or close mid-response. One virtual thread per connection.
 */
final class FakeHost implements AutoCloseable {
    /** A bound on every wait of a test, so that a broken test fails instead of hanging; never a timing assertion. */
    static final long BOUND_S = 5;

    /**
     * One request as the host received it.
     *
     * @param connection which accepted connection (1, 2, ...)
     * @param index      which request on that connection (1, 2, ...)
     * @param headers    names in lower case
     */
    record Request(int connection, int index, String method, String target, Map<String, String> headers, byte[] body) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Answers one request; returns whether the connection stays open. */
    interface Handler {
        boolean handle(Request request, OutputStream out) throws IOException;
    }

    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    final AtomicInteger connections = new AtomicInteger();
    volatile Handler handler = answer(200, "ok");

    FakeHost() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("fake-host-accept").start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    /** The next request received, waiting for it within the bound. */
    Request take() throws InterruptedException {
        Request r = requests.poll(BOUND_S, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("the host received no request within " + BOUND_S + " s");
        }
        return r;
    }

    /** Answers {@code status} with {@code body} and the given header names and values; keeps the connection. */
    static Handler answer(int status, String body, String... headers) {
        return (request, out) -> {
            write(out, status, body, request.method().equals("HEAD"), headers);
            return true;
        };
    }

    /** Writes a whole response with {@code content-length} (and no body bytes for HEAD). */
    static void write(OutputStream out, int status, String body, boolean head, String... headers) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            sb.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        sb.append("content-length: ").append(b.length).append("\r\n\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        if (!head) {
            out.write(b);
        }
        out.flush();
    }

    /** Never answers: the request waits until the host is closed. */
    Handler hang() {
        return (request, out) -> {
            try {
                closing.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        };
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                if (closing.getCount() == 0) {
                    s.close(); // accepted while closing: a closed host answers nothing
                    return;
                }
                sockets.add(s);
                int n = connections.incrementAndGet();
                Thread.ofVirtual().name("fake-host-" + n).start(() -> serve(s, n));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int connection) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            for (int index = 1; ; index++) {
                String line = line(in);
                if (line == null) {
                    return;
                }
                String[] parts = line.split(" ");
                Map<String, String> headers = headers(in);
                byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
                Request r = new Request(connection, index, parts[0], parts[1], headers, body);
                requests.add(r);
                if (!handler.handle(r, out)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the other side went away
        }
    }

    /** Header lines up to the blank line that ends a head; names in lower case. */
    static Map<String, String> headers(InputStream in) throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        return headers;
    }

    /** One CRLF-terminated line, or null at the end of the stream. */
    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.UTF_8);
            }
            b.write(c);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        closing.countDown();
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
