package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;

/**
 * Reads manifests and chunks from a peer's artifact API over HTTP/1.1, never more bytes than the caller allows, and
 * checks a chunk's sha256 while its bytes arrive (each slice hashed as it lands, while it is in the CPU's cache; no
 * second pass over the chunk).
 *
 * <p>Clients: by default {@link HttpURLConnection} (blocking reads straight into the body's array, the JDK's
 * keep-alive cache, a timeout on every read); with {@code blocking} false the asynchronous {@link HttpClient} (made on
 * first use, on virtual threads), whose selector and socket tube cost twice the CPU on large chunks in the code-path
 * benchmark (ADR 0027). Both send the headers given at construction with every request (the cluster's peer
 * credential, which peers require) and verify {@code https} peers with the TLS context given (the public port's TLS,
 * {@code server.tls}), or the JDK's default trust without one; the URL's scheme is the peer's advertised one.
 *
 * <p>Failure: a peer that does not answer 200, announces or sends more bytes than allowed, sends fewer than it
 * announced, cannot be reached, or does not finish a body within the body deadline gives {@link ArtifactException}
 * 502 naming the URL; a chunk whose bytes do not hash to its digest gives 400 ("corrupt", as for a stored chunk). A
 * stalled peer fails a blocking read after the read timeout; a trickling one fails at the body deadline plus at most
 * one read timeout (the deadline is checked between reads, never inside one). An interrupt gives 500 and keeps the
 * thread's interrupt status. A connection whose answer was not read whole is dropped, never reused. Thread-safe.
 */
final class PeerClient {
    /** How long a connection may take to open. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** How long one read may wait for bytes (blocking client) and a request for its answer's headers (HttpClient). */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(15);
    /** How long a whole answer may take, from the request to its last byte. */
    static final Duration BODY_DEADLINE = Duration.ofSeconds(60);
    /** Bytes read (and hashed) per call: large enough to cost few calls, small enough to stay in the cache. */
    private static final int SLICE = 256 << 10;

    private final Supplier<Map<String, String>> headers;
    private final Optional<SSLContext> tls;
    private final boolean blocking;
    private final LongSupplier nanos;
    private final Duration readTimeout;
    private final Duration deadline;
    private final java.util.function.IntFunction<byte[]> bodies;
    private volatile HttpClient http;

    /**
     * @param headers sent with every request, read each time
     * @param tls     the trust for peers' {@code https} URLs (the public port's TLS); empty: the JDK's default
     */
    PeerClient(Supplier<Map<String, String>> headers, Optional<SSLContext> tls) {
        this(headers, tls, true);
    }

    /** @param blocking use {@link HttpURLConnection} (true, the default) or {@link HttpClient} */
    PeerClient(Supplier<Map<String, String>> headers, Optional<SSLContext> tls, boolean blocking) {
        this(headers, tls, blocking, byte[]::new);
    }

    /**
     * @param bodies the array a chunk body of the given announced length is received into ({@link ChunkBodies#take}:
     *               reused across fetches); it must be of exactly that length, and is overwritten whole or dropped
     */
    PeerClient(Supplier<Map<String, String>> headers, Optional<SSLContext> tls, boolean blocking,
               java.util.function.IntFunction<byte[]> bodies) {
        this(headers, tls, blocking, System::nanoTime, READ_TIMEOUT, BODY_DEADLINE, bodies);
    }

    /**
     * The full constructor (tests give a clock and short timeouts).
     *
     * @param nanos       the monotonic clock the body deadline is measured with
     * @param readTimeout how long one read may wait for bytes (and the HttpClient for an answer's headers)
     * @param deadline    how long a whole answer may take
     */
    PeerClient(Supplier<Map<String, String>> headers, Optional<SSLContext> tls, boolean blocking, LongSupplier nanos,
               Duration readTimeout, Duration deadline) {
        this(headers, tls, blocking, nanos, readTimeout, deadline, byte[]::new);
    }

    private PeerClient(Supplier<Map<String, String>> headers, Optional<SSLContext> tls, boolean blocking, LongSupplier nanos,
                       Duration readTimeout, Duration deadline, java.util.function.IntFunction<byte[]> bodies) {
        this.bodies = bodies;
        this.headers = headers;
        this.tls = tls;
        this.blocking = blocking;
        this.nanos = nanos;
        this.readTimeout = readTimeout;
        this.deadline = deadline;
    }

    private HttpClient http() {
        if (http == null) {
            synchronized (this) {
                if (http == null) {
                    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(CONNECT_TIMEOUT)
                            .executor(Executors.newVirtualThreadPerTaskExecutor());
                    tls.ifPresent(b::sslContext);
                    http = b.build();
                }
            }
        }
        return http;
    }

    /**
     * GETs {@code url}, reading at most {@code max} bytes (a manifest's bound: a peer cannot make this node buffer
     * more), into one array of the announced length when the peer gives one.
     */
    byte[] get(String url, String what, long max) {
        return get(url, what, max, Optional.empty());
    }

    /**
     * GETs chunk {@code sha256} (hex) at {@code url}: at most {@code max} bytes (its declared compressed size), hashed
     * as they arrive; returns them only when they hash to {@code sha256}.
     *
     * @throws ArtifactException 400 when the bytes do not hash to {@code sha256}; 502 as {@link #get}
     */
    byte[] getChunk(String url, String what, long max, String sha256) {
        return get(url, what, max, Optional.of(sha256));
    }

    private byte[] get(String url, String what, long max, Optional<String> sha256) {
        long start = nanos.getAsLong();
        Optional<MessageDigest> md = sha256.map(s -> Digests.sha256());
        byte[] body = blocking ? getBlocking(url, what, max, md, start) : getAsync(url, what, max, md, start);
        if (sha256.isPresent()) {
            String actual = HexFormat.of().formatHex(md.get().digest());
            if (!actual.equals(sha256.get())) {
                throw new ArtifactException(400, "chunk " + sha256.get() + " is corrupt: its bytes hash to " + actual
                        + " (" + url + ")");
            }
        }
        return body;
    }

    private byte[] getAsync(String url, String what, long max, Optional<MessageDigest> md, long start) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET().timeout(readTimeout);
            headers.get().forEach(b::header);
            var r = http().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    throw new ArtifactException(502, "peer answered " + r.statusCode() + " for " + what + " (" + url + ")");
                }
                return readBody(in, r.headers().firstValueAsLong("content-length").orElse(-1), url, what, max, md, start);
            }
        } catch (IOException e) {
            throw new ArtifactException(502, "cannot fetch " + what + " from " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArtifactException(500, "interrupted while fetching " + what, e);
        }
    }

    /**
     * The body of a 200 answer: exactly {@code length} bytes when announced (at most {@code max}), else up to
     * {@code max}; read one call at a time, each slice hashed into {@code md} as it lands, the deadline checked
     * between calls.
     */
    private byte[] readBody(InputStream in, long length, String url, String what, long max, Optional<MessageDigest> md,
                            long start) throws IOException {
        if (length > max) {
            throw new ArtifactException(502, "peer announced " + length + " bytes of " + what + ", more than the " + max
                    + " it may send (" + url + ")");
        }
        boolean known = length >= 0;
        // unknown length: grown as bytes arrive, up to one byte beyond the bound, so that an over-long body is seen
        long limit = known ? length : Math.min(Integer.MAX_VALUE - 8, max + 1);
        // a chunk's body of announced length goes into a reused array when there is one (overwritten whole below)
        byte[] body = known && md.isPresent() ? bodies.apply((int) length) : new byte[(int) (known ? length : Math.min(limit, SLICE))];
        int n = 0;
        while (n < limit) {
            if (n == body.length) {
                body = java.util.Arrays.copyOf(body, (int) Math.min(limit, 2L * body.length));
            }
            int r = in.read(body, n, Math.min(SLICE, body.length - n));
            if (r < 0) {
                break;
            }
            byte[] b = body;
            int from = n;
            n += r;
            md.ifPresent(d -> d.update(b, from, r));
            checkDeadline(start, url, what, n);
        }
        if (known) {
            if (n < body.length) {
                throw new ArtifactException(502, "peer sent " + n + " bytes of " + what + " but announced " + length
                        + "; the answer was cut short (" + url + ")");
            }
            if (in.read() != -1) {
                throw new ArtifactException(502, "peer sent more than the " + length + " bytes of " + what
                        + " it announced (" + url + ")");
            }
            return body;
        }
        if (n > max) {
            throw new ArtifactException(502, "peer sent more than the " + max + " bytes of " + what + " (" + url + ")");
        }
        return n == body.length ? body : java.util.Arrays.copyOf(body, n);
    }

    private void checkDeadline(long start, String url, String what, int received) {
        long elapsed = nanos.getAsLong() - start;
        if (elapsed > deadline.toNanos()) {
            throw new ArtifactException(502, "peer too slow: " + received + " bytes of " + what + " after "
                    + Duration.ofNanos(elapsed).toMillis() + " ms, more than the " + deadline.toMillis()
                    + " ms an answer may take (" + url + ")");
        }
    }

    /** {@link #get} through {@link HttpURLConnection}; a connection whose answer is not read whole is dropped. */
    private byte[] getBlocking(String url, String what, long max, Optional<MessageDigest> md, long start) {
        HttpURLConnection c = null;
        boolean reusable = false;
        try {
            // never through a proxy, as the HttpClient (built without one): peer traffic goes straight to the peer
            c = (HttpURLConnection) URI.create(url).toURL().openConnection(java.net.Proxy.NO_PROXY);
            c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
            c.setReadTimeout((int) Math.max(1, readTimeout.toMillis()));
            c.setUseCaches(false);
            c.setInstanceFollowRedirects(false);
            HttpURLConnection conn = c;
            headers.get().forEach(conn::setRequestProperty);
            if (c instanceof HttpsURLConnection https && tls.isPresent()) {
                https.setSSLSocketFactory(tls.get().getSocketFactory());
            }
            int status = c.getResponseCode();
            if (status != 200) {
                throw new ArtifactException(502, "peer answered " + status + " for " + what + " (" + url + ")");
            }
            try (InputStream in = c.getInputStream()) {
                byte[] body = readBody(in, c.getContentLengthLong(), url, what, max, md, start);
                reusable = true;
                return body;
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new ArtifactException(502, "cannot fetch " + what + " from " + url + ": " + e.getMessage(), e);
        } finally {
            if (c != null && !reusable) {
                c.disconnect();
            }
        }
    }
}
