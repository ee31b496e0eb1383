package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The CLI's view of a server: JSON calls that turn error bodies into {@link CliException}s. Every call made with
 * {@link #send} carries {@code Authorization: Bearer <token>} when a token was found ({@link Credentials});
 * {@link #sendAnonymous} carries none (for invocations, see {@link InvokeCommand}). A 401 or 403 becomes the
 * server's detail and a hint about where the token came from and how to get another. No message ever holds the
 * token: it is replaced by {@code <token>} should the server or an exception repeat it.
 */
final class ApiClient {
    private static final String USER_AGENT = "nest-cli/0.1";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(5);
    private final String base;
    private final Optional<Credentials.Found> token;
    private final String searched;
    private final Optional<javax.net.ssl.SSLContext> tls;
    /** Built on first use: only requests that need {@link HttpRequest}s pay for the JDK's HTTP client. */
    private HttpClient http;

    /** A client that sends no token. */
    ApiClient(String base) {
        this(base, Optional.empty(), "");
    }

    /**
     * @param token    the token to send, if one was found
     * @param searched where the token was looked for (see {@link Credentials#searched}), for the hint of a 401
     */
    ApiClient(String base, Optional<Credentials.Found> token, String searched) {
        this(base, token, searched, Optional.empty());
    }

    /** @param tls the trust for an {@code https} server ({@link CliTrust}); empty: the JDK's default trust store */
    ApiClient(String base, Optional<Credentials.Found> token, String searched, Optional<javax.net.ssl.SSLContext> tls) {
        this.tls = tls;
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token;
        this.searched = searched;
    }

    String base() {
        return base;
    }

    /** Whether calls carry a token. */
    boolean hasToken() {
        return token.isPresent();
    }

    /** Sends with the token, if one was found. */
    HttpResponse<byte[]> send(HttpRequest.Builder b) {
        token.ifPresent(t -> b.setHeader("Authorization", "Bearer " + t.token()));
        return exchange(b);
    }

    /** Sends without a token. */
    HttpResponse<byte[]> sendAnonymous(HttpRequest.Builder b) {
        return exchange(b);
    }

    private HttpClient http() {
        if (http == null) {
            HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                    .version(HttpClient.Version.HTTP_1_1);
            if (tls.isPresent()) {
                b.sslContext(tls.get());
            } else if (plainHttp()) {
                // spare the JDK's default TLS context, whose trust store is read when the client is built
                b.sslContext(CliTrust.none());
            }
            http = b.build();
        }
        return http;
    }

    private boolean plainHttp() {
        return base.regionMatches(true, 0, "http:", 0, 5);
    }

    private HttpResponse<byte[]> exchange(HttpRequest.Builder b) {
        try {
            return http().send(b.header("User-Agent", USER_AGENT).timeout(READ_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw unreachable();
        } catch (IOException e) {
            throw new CliException(scrub("request to " + base + " failed: " + e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    /**
     * A streaming GET (Server-Sent Events) with the token, no answer timeout, and {@code Last-Event-ID} when given.
     * An error status becomes a {@link CliException} with the server's detail.
     */
    java.io.InputStream stream(String path, Optional<String> lastEventId) throws IOException {
        HttpRequest.Builder b = request(path).header("Accept", "text/event-stream").header("User-Agent", "nest-cli/0.1");
        lastEventId.ifPresent(id -> b.header("Last-Event-ID", id));
        token.ifPresent(t -> b.setHeader("Authorization", "Bearer " + t.token()));
        HttpResponse<java.io.InputStream> r;
        try {
            r = http().send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException e) {
            throw new CliException("cannot reach the Nest server at " + base + "; start it (java -jar nest.jar) or "
                    + "point --server / NEST_SERVER at it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
        if (r.statusCode() >= 400) {
            byte[] body;
            try (java.io.InputStream in = r.body()) {
                body = in.readNBytes(64 * 1024);
            }
            JsonNode j = Json.mapper().readTree(body.length == 0 ? "{}".getBytes() : body);
            throw new CliException(scrub(j.path("error").asText("error " + r.statusCode()) + ": "
                    + j.path("detail").asText("")) + hint(r.statusCode()));
        }
        return r.body();
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path));
    }

    JsonNode json(HttpRequest.Builder b) {
        HttpResponse<byte[]> r = send(b);
        return document(r.statusCode(), r.body());
    }

    /** The JSON answer of a call; an error status or a body that is not JSON is a {@link CliException}. */
    private JsonNode document(int status, byte[] bytes) {
        JsonNode body;
        try {
            body = CliJson.read(bytes);
        } catch (IOException e) {
            throw new CliException("the server answered " + status + " with a body that is not JSON" + hint(status));
        }
        if (status >= 400) {
            throw new CliException(scrub(body.path("error").asText("error " + status) + ": "
                    + body.path("detail").asText("")) + hint(status));
        }
        return body;
    }

    JsonNode get(String path) {
        return call("GET", path, Optional.empty());
    }

    JsonNode post(String path, Object body) {
        return call("POST", path, Optional.of(bytes(body)));
    }

    JsonNode put(String path, Object body) {
        return call("PUT", path, Optional.of(bytes(body)));
    }

    /**
     * One JSON call. To a plain-http server it goes through {@link HttpURLConnection}, which a short command starts
     * in a fraction of the time the JDK's {@link HttpClient} takes (no selector thread, no TLS set-up); https goes
     * through the {@link HttpClient} and its trust ({@link CliTrust}). Both send the same headers, use no proxy, and
     * have the same time limits.
     */
    private JsonNode call(String method, String path, Optional<byte[]> body) {
        if (!plainHttp()) {
            HttpRequest.Builder b = request(path).method(method, body.map(HttpRequest.BodyPublishers::ofByteArray)
                    .orElse(HttpRequest.BodyPublishers.noBody()));
            body.ifPresent(x -> b.header("Content-Type", "application/json"));
            return json(b);
        }
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) URI.create(base + path).toURL().openConnection(Proxy.NO_PROXY);
            c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
            c.setReadTimeout((int) READ_TIMEOUT.toMillis());
            c.setInstanceFollowRedirects(false);
            c.setRequestMethod(method);
            c.setRequestProperty("User-Agent", USER_AGENT);
            c.setRequestProperty("Accept", "application/json");
            HttpURLConnection conn = c;
            token.ifPresent(t -> conn.setRequestProperty("Authorization", "Bearer " + t.token()));
            if (body.isPresent()) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                c.setFixedLengthStreamingMode(body.get().length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body.get());
                }
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            byte[] bytes = in == null ? new byte[0] : in.readAllBytes();
            return document(status, bytes);
        } catch (ConnectException e) {
            throw unreachable();
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException(scrub("request to " + base + " failed: " + e));
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    private CliException unreachable() {
        return new CliException("cannot reach the Nest server at " + base + "; start it (java -jar nest.jar) or "
                + "point --server / NEST_SERVER at it");
    }

    /** A request body: maps, lists, scalars and trees through {@link CliJson}, anything else through the shared mapper. */
    private static byte[] bytes(Object body) {
        try {
            return CliJson.bytes(body);
        } catch (IllegalArgumentException e) {
            return Json.bytes(body);
        }
    }

    JsonNode delete(String path) {
        return call("DELETE", path, Optional.empty());
    }

    /** For a 401 or 403: a new line that says what was sent and what to do; nothing for other statuses. */
    String hint(int status) {
        String login = "'nest login --server " + base + "'";
        if (status == 401 && token.isEmpty()) {
            return "\nhint: no token was sent, none was found (looked at " + searched + "); pass one with --token or "
                    + Credentials.ENV_TOKEN + ", or save one with " + login + ". On the server's machine, the CLI "
                    + "reads the first admin token from data/admin.token (run it from the directory the server was "
                    + "started in, or set " + Credentials.ENV_DATA + " to its data directory)";
        }
        if (status == 401) {
            return "\nhint: the " + token.get() + " was not accepted (unknown, revoked or expired); pass another with "
                    + "--token or " + Credentials.ENV_TOKEN + ", or save one with " + login;
        }
        if (status == 403) {
            return "\nhint: the " + token.get() + " may not do this; an admin can create one that may "
                    + "('nest token create NAME --role ROLE --namespace NS'); use it with --token or " + login;
        }
        return "";
    }

    /** {@code text} with the token, should it appear, replaced by {@code <token>}. */
    String scrub(String text) {
        return token.map(t -> text.replace(t.token(), "<token>")).orElse(text);
    }
}
