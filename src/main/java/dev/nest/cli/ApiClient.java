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

/** The CLI's view of a server: JSON calls that turn error bodies into {@link CliException}s. */
final class ApiClient {
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    ApiClient(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    String base() {
        return base;
    }

    HttpResponse<byte[]> send(HttpRequest.Builder b) {
        try {
            return http.send(b.header("User-Agent", "nest-cli/0.1").timeout(Duration.ofMinutes(5)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new CliException("cannot reach the Nest server at " + base + "; start it (java -jar nest.jar) or "
                    + "point --server / NEST_SERVER at it");
        } catch (IOException e) {
            throw new CliException("request to " + base + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
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
            throw new CliException("the server answered " + r.statusCode() + " with a body that is not JSON");
        }
        if (r.statusCode() >= 400) {
            throw new CliException(body.path("error").asText("error " + r.statusCode()) + ": " + body.path("detail").asText(""));
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
}
