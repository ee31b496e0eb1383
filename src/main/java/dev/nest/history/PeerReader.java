package dev.nest.history;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/** Reads another node's answer: the narrow seam tests replace with a fake. */
@FunctionalInterface
public interface PeerReader {
    /**
     * A peer's answer.
     *
     * @param status its HTTP status
     * @param body   its body
     */
    record Reply(int status, byte[] body) {
    }

    /** GETs {@code url}; throws when the peer cannot be reached or does not answer in time. */
    Reply get(URI url) throws IOException;

    /**
     * HTTP/1.1 GETs with the cluster's peer credential ({@code headers}, read for every call), a 1 s connect limit and
     * {@code timeout} for the answer; {@code tls} verifies {@code https} peers (the public port's TLS), empty: the
     * JDK's default trust.
     */
    static PeerReader http(Supplier<Map<String, String>> headers, Optional<SSLContext> tls, Duration timeout) {
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(Math.min(1_000, timeout.toMillis())));
        tls.ifPresent(builder::sslContext);
        // built on the first read: a node that is never asked for the region's history makes no client
        dev.nest.common.Lazy<HttpClient> client = dev.nest.common.Lazy.of(builder::build);
        return url -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(timeout).header("accept", "application/json");
            headers.get().forEach(b::header);
            try {
                HttpResponse<byte[]> res = client.get().send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                return new Reply(res.statusCode(), res.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        };
    }
}
