package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.io.IOException;
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
    private final String base;
    private final Optional<Credentials.Found> token;
    private final String searched;
    private final HttpClient http;

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
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1);
        tls.ifPresent(b::sslContext);
        this.http = b.build();
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

    private HttpResponse<byte[]> exchange(HttpRequest.Builder b) {
        try {
            return http.send(b.header("User-Agent", "nest-cli/0.1").timeout(Duration.ofMinutes(5)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new CliException("cannot reach the Nest server at " + base + "; start it (java -jar nest.jar) or "
                    + "point --server / NEST_SERVER at it");
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
            r = http.send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
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
        JsonNode body;
        try {
            body = Json.mapper().readTree(r.body());
        } catch (IOException e) {
            throw new CliException("the server answered " + r.statusCode() + " with a body that is not JSON"
                    + hint(r.statusCode()));
        }
        if (r.statusCode() >= 400) {
            throw new CliException(scrub(body.path("error").asText("error " + r.statusCode()) + ": "
                    + body.path("detail").asText("")) + hint(r.statusCode()));
        }
        return body;
    }

    JsonNode get(String path) {
        return json(request(path).GET());
    }

    JsonNode post(String path, Object body) {
        return json(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))));
    }

    JsonNode put(String path, Object body) {
        return json(request(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))));
    }

    JsonNode delete(String path) {
        return json(request(path).DELETE());
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
