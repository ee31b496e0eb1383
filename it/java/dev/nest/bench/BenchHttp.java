package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The benchmark's HTTP/1.1 client (one keep-alive pool), and JSON helpers. */
final class BenchHttp {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** One answer; {@code nanos} is the time from sending the request to having the whole body. */
    record Response(int status, Map<String, java.util.List<String>> headers, byte[] body, long nanos) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("expected JSON, got HTTP " + status + ": " + text(), e);
            }
        }

        Optional<String> header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream()).findFirst();
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + text();
        }
    }

    Response send(String method, String url, Map<String, String> headers, byte[] body, Duration timeout) {
        HttpRequest.Builder b = BenchAuth.request(URI.create(url)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        HttpRequest request = b.build();
        try {
            long t0 = System.nanoTime();
            HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            long nanos = System.nanoTime() - t0;
            return new Response(r.statusCode(), r.headers().map(), r.body(), nanos);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + url + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    Response get(String url) {
        return send("GET", url, Map.of(), null, Duration.ofSeconds(60));
    }

    Response sendJson(String method, String url, Object body) {
        try {
            return send(method, url, Map.of("Content-Type", "application/json"), JSON.writeValueAsBytes(body),
                    Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GET {@code url}; empty when nothing answers (connection refused, timeout). */
    Optional<Response> probe(String url, Map<String, String> headers) {
        try {
            return Optional.of(send("GET", url, headers, null, Duration.ofSeconds(2)));
        } catch (UncheckedIOException e) {
            return Optional.empty();
        }
    }

    /** Fails unless {@code r} has {@code expected} status, naming what was being done. */
    static Response expect(Response r, int expected, String doing) {
        if (r.status() != expected) {
            throw new IllegalStateException(doing + ": expected HTTP " + expected + ", got " + r);
        }
        return r;
    }

    /** A loopback port that was free a moment ago. */
    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
