package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.async.AsyncLedger;
import dev.nest.async.EventStatus;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * {@code /api/v1/functions/{name}/dead-letters[/redrive]}: a function's async invocations that failed for good on
 * this node, and sending them again. The ledger of one async invocation is part of
 * {@code GET /api/v1/invocations/{id}} ({@link InvocationRoutes}, through {@link #view}).
 */
record AsyncRoutes(AsyncLedger ledger) implements ResourceRoutes {
    /** One async invocation as the API shows it; absent values are left out. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record View(String id, String function, String state, int attempt, Instant enqueuedAt, Instant nextTryAt,
                Integer status, Long durationMs, String lastError, String result, String resultBase64,
                Instant finishedAt) {
    }

    /** {@code GET /functions/{name}/dead-letters}. */
    record DeadLetters(String function, List<View> deadLetters) {
    }

    /** {@code POST /functions/{name}/dead-letters/redrive}. */
    record Redriven(String function, int redriven) {
    }

    static View view(EventStatus s) {
        Optional<String> text = s.result().flatMap(AsyncRoutes::utf8);
        return new View(s.id(), s.function(), s.state().label(), s.attempt(), s.enqueuedAt(), s.nextTryAt().orElse(null),
                s.status() == 0 ? null : s.status(), s.status() == 0 ? null : s.durationMs(),
                s.lastError().isEmpty() ? null : s.lastError(), text.orElse(null),
                text.isEmpty() ? s.result().map(b -> Base64.getEncoder().encodeToString(b)).orElse(null) : null,
                s.finishedAt().orElse(null));
    }

    @Override
    public String resource() {
        return "async";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/functions/{name}/dead-letters", this::deadLetters);
        r.post(PREFIX + "/functions/{name}/dead-letters/redrive", this::redrive);
    }

    /** {@code ?limit=} (100). */
    private void deadLetters(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        Errors.json(res, 200, new DeadLetters(id.toString(),
                ledger.deadLetters(id.toString(), Requests.limit(req, 100)).stream().map(AsyncRoutes::view).toList()));
    }

    /** Body {@code {"id": "..."}} for one, {@code {"all": true}} for every dead letter of the function. */
    private void redrive(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        JsonNode body;
        try {
            byte[] raw = Requests.body(req);
            body = raw.length == 0 ? Json.mapper().createObjectNode() : Json.mapper().readTree(raw);
        } catch (IOException e) {
            throw NestException.badRequest("the body is not JSON: " + e.getMessage()
                    + "; send {\"id\": \"<invocation id>\"} or {\"all\": true}");
        }
        Optional<String> one = Optional.ofNullable(body.get("id")).filter(JsonNode::isTextual).map(JsonNode::asText);
        boolean all = body.path("all").asBoolean(false);
        if (one.isPresent() == all) {
            throw NestException.badRequest("send {\"id\": \"<invocation id>\"} to redrive one dead letter or "
                    + "{\"all\": true} for every dead letter of " + id);
        }
        int n = ledger.redrive(id.toString(), one);
        if (one.isPresent() && n == 0) {
            throw NestException.notFound("dead letter", "function " + id + " has no dead letter " + one.get()
                    + " on this node; see GET " + PREFIX + "/functions/" + id.name() + "/dead-letters");
        }
        Errors.json(res, 200, new Redriven(id.toString(), n));
    }

    private static Optional<String> utf8(byte[] b) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
