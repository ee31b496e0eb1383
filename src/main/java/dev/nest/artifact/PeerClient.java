package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;

/**
 * Reads manifests and chunks from a peer's artifact API over HTTP/1.1, never more bytes than the caller allows.
 * The client is made on first use (connect timeout 5 s, each request 60 s, on virtual threads).
 *
 * <p>Failure: a peer that does not answer 200, sends more or fewer bytes than announced or allowed, or cannot be
 * reached gives {@link ArtifactException} 502; an interrupt gives 500 and keeps the thread's interrupt status.
 * Every request carries the headers given at construction (the cluster's peer credential, which peers require).
 * With a TLS context (when {@code server.tls} is on) {@code https} URLs are verified with it; the URL's scheme is the
 * peer's advertised one. With {@code blocking}, requests go through {@link HttpURLConnection} (blocking reads straight
 * into the body's array, the JDK's keep-alive cache) instead of the asynchronous {@link HttpClient}, whose selector
 * and socket tube were the largest CPU cost of a fetch in a profile. Thread-safe.
 */
final class PeerClient {
    private final Supplier<Map<String, String>> headers;
    private final Optional<SSLContext> tls;
    private final boolean blocking;
    private volatile HttpClient http;

    /**
     * @param headers sent with every request, read each time
     * @param tls     the trust for peers' {@code https} URLs (the public port's TLS); empty: the JDK's default
     */
    PeerClient(Supplier<Map<String, String>> headers, Optional<SSLContext> tls) {
        this(headers, tls, false);
    }

    /** @param blocking use {@link HttpURLConnection} instead of {@link HttpClient} */
    PeerClient(Supplier<Map<String, String>> headers, Optional<SSLContext> tls, boolean blocking) {
        this.headers = headers;
        this.tls = tls;
        this.blocking = blocking;
    }

    private HttpClient http() {
        if (http == null) {
            synchronized (this) {
                if (http == null) {
                    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(Duration.ofSeconds(5))
                            .executor(Executors.newVirtualThreadPerTaskExecutor());
                    tls.ifPresent(b::sslContext);
                    http = b.build();
                }
            }
        }
        return http;
    }

    /**
     * GETs {@code url}, reading at most {@code max} bytes (a chunk's declared size: a peer cannot make this node
     * buffer more). Reads the body as a stream into one array (of the announced length when the peer gives one):
     * the HttpClient's byte-array handler copies through a list of small buffers and was several times slower on
     * large chunks.
     */
    byte[] get(String url, String what, long max) {
        if (blocking) {
            return getBlocking(url, what, max);
        }
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET().timeout(Duration.ofSeconds(60));
            headers.get().forEach(b::header);
            var r = http().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    throw new ArtifactException(502, "peer answered " + r.statusCode() + " for " + what + " (" + url + ")");
                }
                long length = r.headers().firstValueAsLong("content-length").orElse(-1);
                if (length > max) {
                    throw new ArtifactException(502, "peer sent more than the " + max + " bytes of " + what + " (" + url + ")");
                }
                return readBody(in, length, url, what, max);
            }
        } catch (IOException e) {
            throw new ArtifactException(502, "cannot fetch " + what + " from " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArtifactException(500, "interrupted while fetching " + what, e);
        }
    }

    /** The body of a 200 answer: exactly {@code length} bytes when announced (at most {@code max}), else up to max. */
    private static byte[] readBody(InputStream in, long length, String url, String what, long max) throws IOException {
        if (length > max) {
            throw new ArtifactException(502, "peer sent more than the " + max + " bytes of " + what + " (" + url + ")");
        }
        if (length >= 0) {
            // the size is known: read straight into one array of that size, no intermediate buffers
            byte[] body = new byte[(int) length];
            int n = in.readNBytes(body, 0, body.length);
            if (n < body.length || in.read() != -1) {
                throw new ArtifactException(502, "peer sent " + (n < body.length ? n : "more than " + length)
                        + " bytes of " + what + " but announced " + length + " (" + url + ")");
            }
            return body;
        }
        byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        if (body.length > max) {
            throw new ArtifactException(502, "peer sent more than the " + max + " bytes of " + what + " (" + url + ")");
        }
        return body;
    }

    /** {@link #get} through {@link HttpURLConnection}; a connection whose answer is not read whole is dropped. */
    private byte[] getBlocking(String url, String what, long max) {
        HttpURLConnection c = null;
        boolean reusable = false;
        try {
            c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(5_000);
            c.setReadTimeout(60_000);
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
                byte[] body = readBody(in, c.getContentLengthLong(), url, what, max);
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
