package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nest.NestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A small HTTP/1.1 client for tests against one Nest node ({@code base} is e.g. {@code http://127.0.0.1:41234}),
 * with the admin API calls the tests repeat (upload, deploy, the record of an invocation). I/O errors are
 * unchecked; the API helpers fail the test (an {@link AssertionError}) on an unexpected status.
 *
 * <p>Tokens: a client made with a token ({@link #withToken}, {@link #withAdminTokenOf}, {@link #of(NestServer)})
 * sends {@code Authorization: Bearer <token>} on every request that is not an invocation ({@code /fn/...},
 * {@code /ns/.../fn/...}): invocations go out as an anonymous caller's would, and a test adds the header itself
 * for a function whose spec says {@code auth: token}. A token read from a node's {@code admin.token} file is read
 * when first needed, so a client may be made before its node has started.
 */
public final class Http {
    public static final ObjectMapper JSON = new ObjectMapper();

    private final Supplier<String> base;
    private final Supplier<Optional<String>> token;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** A client that sends no token. */
    public Http(String base) {
        this(() -> base);
    }

    /** A client whose base is known later (a node that starts after the client is made); read on each call. */
    Http(Supplier<String> base) {
        this(base, Optional::empty);
    }

    /** A client whose token, if any, is {@code token}'s answer (asked until it has one, then kept). */
    Http(Supplier<String> base, Supplier<Optional<String>> token) {
        this.base = () -> {
            String b = base.get();
            return b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
        };
        this.token = memoized(token);
    }

    /** A client of the node on {@code 127.0.0.1:port} that sends no token. */
    public static Http local(int port) {
        return new Http("http://127.0.0.1:" + port);
    }

    /**
     * A client of an in-process node with its region's first admin token: the {@code admin.token} of the first
     * of {@code region}'s data directories that has one (only the node that started the region writes it).
     */
    public static Http of(NestServer node, List<NestServer> region) {
        return local(node.port()).withAdminTokenOf(region.stream().map(n -> n.config().dataDir()).toList());
    }

    /** A client of a single in-process node, with the admin token it wrote when it started. */
    public static Http of(NestServer node) {
        return of(node, List.of(node));
    }

    /** This client, sending {@code token} instead. */
    public Http withToken(String token) {
        return new Http(base, () -> Optional.of(token));
    }

    /** This client, sending no token. */
    public Http anonymous() {
        return new Http(base, Optional::empty);
    }

    /** This client, sending the admin token found in the first of {@code dataDirs} that holds one. */
    public Http withAdminTokenOf(List<Path> dataDirs) {
        return new Http(base, () -> dataDirs.stream().map(Http::adminToken).flatMap(Optional::stream).findFirst());
    }

    /** This client, sending the admin token of the node whose data directory is {@code dataDir}. */
    public Http withAdminTokenOf(Path dataDir) {
        return withAdminTokenOf(List.of(dataDir));
    }

    /** The token this client sends, if any. */
    public Optional<String> token() {
        return token.get();
    }

    /** {@code <dataDir>/admin.token}, the first admin token a node writes when it starts a region, if it is there. */
    public static Optional<String> adminToken(Path dataDir) {
        Path file = dataDir.resolve("admin.token");
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file).strip()).filter(t -> !t.isEmpty())
                    : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static Supplier<Optional<String>> memoized(Supplier<Optional<String>> source) {
        AtomicReference<Optional<String>> found = new AtomicReference<>(Optional.empty());
        return () -> {
            Optional<String> t = found.get();
            if (t.isEmpty()) {
                t = source.get();
                found.set(t);
            }
            return t;
        };
    }

    /** Whether {@code path} is an invocation ({@code /fn/...}, {@code /ns/{namespace}/fn/...}). */
    static boolean invocation(String path) {
        return path.startsWith("/fn/") || path.equals("/fn") || path.startsWith("/ns/") && path.indexOf("/fn", 4) > 0;
    }

    public String base() {
        return base.get();
    }

    /** One answer, with the body kept as bytes. */
    public record Response(int status, HttpHeaders headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("expected a JSON body, got (" + status + "): " + text(), e);
            }
        }

        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + headers.map() + " " + text();
        }
    }

    /** A request to {@code path}, with the token unless {@code path} is an invocation. */
    public HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60));
        if (!invocation(path)) {
            token().ifPresent(t -> b.header("Authorization", "Bearer " + t));
        }
        return b;
    }

    public Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> r = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("request to " + base() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Sends without waiting; the future fails with the I/O error, if any. */
    public java.util.concurrent.CompletableFuture<Response> sendAsync(HttpRequest.Builder request) {
        return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(r -> new Response(r.statusCode(), r.headers(), r.body()));
    }

    public Response get(String path) {
        return send(request(path).GET());
    }

    public Response post(String path, String contentType, byte[] body) {
        return send(request(path).header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    public Response postJson(String path, Object body) {
        try {
            byte[] bytes = body instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(body);
            return post(path, "application/json", bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Uploads {@code zip} as a package of {@code runtime}; fails unless it is stored (201); returns its digest. */
    public String upload(String runtime, byte[] zip) {
        Response up = post("/api/v1/artifacts?runtime=" + runtime, "application/zip", zip);
        assertEquals(201, up.status(), up::toString);
        return up.json().path("digest").asText();
    }

    /** Deploys package {@code digest} with {@code spec} as the next version of {@code name}; fails unless 201. */
    public Response deploy(String name, Map<String, ?> spec, String digest) {
        Response d = postJson("/api/v1/functions/" + name + "/versions", Map.of("spec", spec, "digest", digest));
        assertEquals(201, d.status(), d::toString);
        return d;
    }

    /** Uploads {@code zip} and deploys it with {@code spec} (whose {@code runtime} names the package's runtime). */
    public Response deploy(String name, Map<String, ?> spec, byte[] zip) {
        return deploy(name, spec, upload(String.valueOf(spec.get("runtime")), zip));
    }

    /** The record of invocation {@code id} from {@code GET /api/v1/invocations?function=}, once it is written. */
    public JsonNode awaitInvocation(String function, String id) {
        return Poll.until("invocation " + id + " in GET /api/v1/invocations?function=" + function,
                () -> find(get("/api/v1/invocations?function=" + function).json().path("invocations"), id),
                n -> n != null);
    }

    /** The element of {@code invocations} whose {@code id} is {@code id}; null when there is none (yet). */
    static JsonNode find(JsonNode invocations, String id) {
        for (JsonNode n : invocations) {
            if (n.path("id").asText().equals(id)) {
                return n;
            }
        }
        return null;
    }

    /** True when {@code GET /health} answers 200; false when nothing answers (yet). */
    public boolean healthy() {
        try {
            return send(request("/health").timeout(Duration.ofSeconds(2)).GET()).status() == 200;
        } catch (UncheckedIOException e) {
            return false;
        }
    }
}
