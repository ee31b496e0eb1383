package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.InvocationIds;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.trigger.LocalStops;
import dev.nest.trigger.StopResult;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /api/v1/invocations/{id}/stop}: stops an invocation this node holds ({@link LocalStops}: an async one
 * of its queue, or one its gateway serves or forwarded), the peer route a cron trigger's {@code concurrency: replace}
 * calls on the node an invocation's id names. Admins or peers (the cluster's credential) only. Optional body
 * {@code {"reason": "..."}} (at most {@value #MAX_REASON} characters), recorded with the stop.
 *
 * <p>Answers: 200 {@code {"id", "outcome": "stopped" | "finished", "detail"}} (stopped now, or had ended: a repeated
 * or replayed stop changes nothing and answers {@code finished}); 404 when this node holds no such invocation (an id
 * that is not of Nest's form included); 409 when it waits or runs and could not be stopped; 504 when the stop did not
 * complete within {@link #WAIT}.
 */
final class StopRoutes implements ResourceRoutes {
    static final int MAX_REASON = 300;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final LocalStops stops;

    StopRoutes(LocalStops stops) {
        this.stops = stops;
    }

    @Override
    public String resource() {
        return "stops";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.post(PREFIX + "/invocations/{id}/stop", this::stop);
    }

    private void stop(ServerRequest req, ServerResponse res) {
        String id = Requests.param(req, "id");
        if (InvocationIds.tagOf(id).isEmpty()) {
            throw NestException.notFound("invocation not found", "'" + (id.length() > 40 ? id.substring(0, 40) + "..."
                    : id) + "' is not an invocation id (20 lowercase hex digits)");
        }
        String reason = reason(Requests.body(req));
        StopResult result;
        try {
            result = stops.stop(id, reason).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new NestException(504, "stop timed out", "invocation " + id + " was not stopped within "
                    + WAIT.toSeconds() + " s; it may still run");
        } catch (ExecutionException e) {
            throw new NestException(500, "stop failed", "stopping invocation " + id + " failed: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NestException(503, "interrupted", "the stop of invocation " + id + " was interrupted");
        }
        switch (result.outcome()) {
            case STOPPED, FINISHED -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("id", id);
                body.put("outcome", result.outcome().name().toLowerCase());
                body.put("detail", result.detail());
                Errors.json(res, 200, body);
            }
            case UNKNOWN -> throw NestException.notFound("invocation not found", result.detail());
            case NOT_STOPPED, UNREACHABLE -> throw new NestException(409, "invocation not stopped", result.detail());
        }
    }

    /** The stop's reason from the optional JSON body; a 400 naming the key when it is not a short string. */
    static String reason(byte[] body) {
        if (body.length == 0) {
            return "stopped through the API";
        }
        JsonNode tree = Json.tree(body, "stop request");
        JsonNode reason = tree.path("reason");
        if (reason.isMissingNode() || reason.isNull()) {
            return "stopped through the API";
        }
        if (!reason.isTextual() || reason.asText().length() > MAX_REASON) {
            throw NestException.badRequest("reason: must be a string of at most " + MAX_REASON + " characters");
        }
        return reason.asText();
    }
}
