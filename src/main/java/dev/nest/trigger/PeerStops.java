package dev.nest.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.nest.common.Json;
import dev.nest.common.Lazy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * Asks another node to stop an invocation by id: {@code POST {node}/api/v1/invocations/{id}/stop} with the cluster's
 * peer credential, answered by that node's {@link LocalStops} alone (the route never asks further). The narrow seam
 * tests replace with a fake.
 */
@FunctionalInterface
public interface PeerStops {
    /** The path of the peer stop route under a node's base URL, for invocation {@code id}. */
    static String path(String id) {
        return "/api/v1/invocations/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/stop";
    }

    /**
     * Stops {@code id} on the node at {@code base} ({@code http(s)://address:port}); completes with what that node
     * did, {@link StopResult.Outcome#UNREACHABLE} when it could not be asked or answered with neither an outcome nor
     * 404. Never completes exceptionally.
     */
    CompletableFuture<StopResult> stop(URI base, String id, String reason);

    /**
     * What a peer's answer means (table-tested): 200 with its {@code outcome}; 404 unknown there; 409 not stopped;
     * anything else (401/403: the credentials differ; 5xx) unreachable, so a caller takes the run as still running.
     */
    static StopResult answer(URI base, int status, Optional<JsonNode> body) {
        String detail = body.map(b -> b.path("detail").asText("")).filter(d -> !d.isEmpty())
                .orElse("node " + base + " answered " + status);
        return switch (status) {
            case 200 -> {
                String outcome = body.map(b -> b.path("outcome").asText("")).orElse("");
                try {
                    yield StopResult.of(StopResult.Outcome.valueOf(outcome.toUpperCase().replace('-', '_')), detail);
                } catch (IllegalArgumentException e) {
                    yield StopResult.of(StopResult.Outcome.UNREACHABLE, "node " + base + " answered an unknown outcome '"
                            + outcome + "'");
                }
            }
            case 404 -> StopResult.of(StopResult.Outcome.UNKNOWN, detail);
            case 409 -> StopResult.of(StopResult.Outcome.NOT_STOPPED, detail);
            default -> StopResult.of(StopResult.Outcome.UNREACHABLE, "node " + base + " could not stop it: answered "
                    + status + " (" + detail + ")");
        };
    }

    /**
     * HTTP/1.1 with the cluster's peer credential ({@code headers}, read for every call), a 1 s connect limit and
     * {@code timeout} for the answer; {@code tls} verifies {@code https} peers, empty: the JDK's default trust.
     * The JDK client (its selector thread, its classes, the default TLS context) is built on the first stop, not
     * here: a node that never stops a run on a peer never makes it (ADR 0030). A client that cannot be built makes
     * that stop {@link StopResult.Outcome#UNREACHABLE}; the next stop tries again.
     */
    static PeerStops http(Supplier<Map<String, String>> headers, Optional<SSLContext> tls, Duration timeout) {
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(Math.min(1_000, timeout.toMillis())));
        tls.ifPresent(builder::sslContext);
        Lazy<HttpClient> client = Lazy.of(builder::build);
        ObjectMapper json = Json.mapper();
        return (base, id, reason) -> {
            byte[] body = JsonNodeFactory.instance.objectNode().put("reason", reason).toString()
                    .getBytes(StandardCharsets.UTF_8);
            HttpRequest.Builder b;
            HttpClient http;
            try {
                b = HttpRequest.newBuilder(base.resolve(path(id))).timeout(timeout)
                        .header("content-type", "application/json").header("accept", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
                headers.get().forEach(b::header);
                http = client.get();
            } catch (RuntimeException e) {
                return CompletableFuture.completedFuture(StopResult.of(StopResult.Outcome.UNREACHABLE,
                        "node " + base + " cannot be asked: " + e.getMessage()));
            }
            return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray()).handle((res, error) -> {
                if (error != null) {
                    return StopResult.of(StopResult.Outcome.UNREACHABLE, "node " + base + " did not answer: "
                            + (error.getCause() == null ? error : error.getCause()));
                }
                Optional<JsonNode> tree;
                try {
                    tree = Optional.of(json.readTree(res.body()));
                } catch (java.io.IOException | RuntimeException e) {
                    tree = Optional.empty();
                }
                return answer(base, res.statusCode(), tree);
            });
        };
    }
}
