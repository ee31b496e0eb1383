package dev.nest.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * An open-loop HTTP/1.1 load generator free of coordinated omission: requests are due at a fixed rate whatever the
 * server does, and each one's latency is measured from the moment it was <em>due</em>, not from when it was sent. A
 * server that stalls therefore shows its stall in every request that fell due during it, as a user population would
 * see it; a closed-loop generator (wrk) sends nothing while it waits and under-reports the tail.
 *
 * <p>Design (as wrk2): {@code connections} kept-alive connections, each on its own platform thread, share the
 * schedule round-robin: request {@code i} is due at {@code start + i / rate} and goes out on connection
 * {@code i mod connections}. A connection still busy when its next request falls due sends it late, and that lateness
 * counts. The client is plain sockets (no HTTP library on the path), reading {@code Content-Length} or chunked bodies.
 *
 * <p>Failure: a non-2xx answer or an I/O error counts as an error (the connection is reopened); latencies of errors
 * are not recorded. Limits: GET only, loopback-grade latencies (the sleep until a request is due may overshoot by tens
 * of microseconds on a loaded machine; that overshoot is in every row of a comparison alike). Threading: {@link #run}
 * blocks the caller until every connection's thread has finished.
 */
final class OpenLoop {
    /** What one run measured. Latencies in ms. */
    record Result(double rate, int seconds, long sent, long ok, long errors, double p50Ms, double p99Ms, double p999Ms,
                  double maxMs) {
        String summary() {
            return String.format(Locale.ROOT, "%.0f req/s for %d s: %d ok, %d errors; p50 %.3f ms, p99 %.3f ms, "
                    + "p99.9 %.3f ms, max %.3f ms", rate, seconds, ok, errors, p50Ms, p99Ms, p999Ms, maxMs);
        }
    }

    private final LongSupplier nanoTime;

    OpenLoop(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** Sends {@code rate} GETs per second to {@code url} for {@code seconds} on {@code connections} connections. */
    Result run(String url, Map<String, String> headers, double rate, int seconds, int connections) {
        if (rate <= 0 || seconds <= 0 || connections <= 0) {
            throw new IllegalArgumentException("rate, seconds and connections must be positive: " + rate + ", "
                    + seconds + ", " + connections);
        }
        URI uri = URI.create(url);
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        StringBuilder req = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: ")
                .append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n");
        headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
        byte[] request = req.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
        InetSocketAddress address = new InetSocketAddress(uri.getHost(), uri.getPort());
        long total = Math.round(rate * seconds);
        double intervalNanos = 1e9 / rate;
        long[][] latencies = new long[connections][];
        AtomicLong errors = new AtomicLong();
        long start = nanoTime.getAsLong() + 50_000_000L; // every thread is running before the first request is due
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int conn = c;
            long mine = (total - conn + connections - 1) / connections;
            long[] out = new long[(int) Math.max(0, mine)];
            latencies[c] = out;
            Thread t = Thread.ofPlatform().name("open-loop-" + c).start(() -> {
                Connection con = null;
                int n = 0;
                for (long i = conn; i < total; i += connections) {
                    long due = start + (long) (i * intervalNanos);
                    long wait;
                    while ((wait = due - nanoTime.getAsLong()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    try {
                        if (con == null) {
                            con = new Connection(address);
                        }
                        int status = con.exchange(request);
                        long done = nanoTime.getAsLong();
                        if (status >= 200 && status < 300) {
                            out[n++] = done - due;
                        } else {
                            errors.incrementAndGet();
                        }
                        if (con.closing) {
                            con.close();
                            con = null;
                        }
                    } catch (IOException | RuntimeException e) {
                        errors.incrementAndGet();
                        if (con != null) {
                            con.close();
                        }
                        con = null;
                    }
                }
                if (con != null) {
                    con.close();
                }
                latencies[conn] = Arrays.copyOf(out, n);
            });
            threads.add(t);
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during an open-loop run", e);
            }
        }
        long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
        return new Result(rate, seconds, total, all.length, errors.get(), pct(all, 50), pct(all, 99), pct(all, 99.9),
                all.length == 0 ? Double.NaN : all[all.length - 1] / 1e6);
    }

    /** Nearest-rank percentile of sorted nanos, in ms. */
    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }

    /** One kept-alive HTTP/1.1 connection. */
    private static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        /** The last response said {@code Connection: close}: open a new connection for the next request. */
        private boolean closing;

        Connection(InetSocketAddress address) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(address, 2000);
            socket.setSoTimeout(30_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        }

        /** Sends the request, reads the whole response; returns its status. */
        int exchange(byte[] request) throws IOException {
            out.write(request);
            out.flush();
            String status = line();
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x response: " + status);
            }
            int code = Integer.parseInt(parts[1]);
            long length = -1;
            boolean chunked = false;
            boolean close = false;
            for (String h = line(); !h.isEmpty(); h = line()) {
                int colon = h.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    case "connection" -> close = value.equalsIgnoreCase("close");
                    default -> { }
                }
            }
            if (chunked) {
                for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0;
                     size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                    skip(size);
                    line();
                }
                while (!line().isEmpty()) {
                    // trailers
                }
            } else if (length >= 0) {
                skip(length);
            } else {
                throw new IOException("a response without Content-Length or chunked body");
            }
            closing = close;
            return code;
        }

        private void skip(long n) throws IOException {
            while (n > 0) {
                long k = in.skip(n);
                if (k <= 0) {
                    if (in.read() < 0) {
                        throw new IOException("end of stream in a body");
                    }
                    k = 1;
                }
                n -= k;
            }
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int b = in.read(); ; b = in.read()) {
                if (b < 0) {
                    throw new IOException("end of stream");
                }
                if (b == '\n') {
                    int len = sb.length();
                    return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
                }
                sb.append((char) b);
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a connection we are done with
            }
        }
    }
}
