package dev.nest.api;

import dev.nest.common.ErrorResponse;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.deploy.ServerPaths;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Maps every exception to {@code {"error": ..., "detail": ...}} with the right status, in one place.
 * {@link NestException}s carry their status; anything else is a 500 that is logged with its stack. A 5xx detail
 * never shows a path of this server ({@link ServerPaths}).
 */
public final class Errors {
    private static final Logger LOG = Logger.getLogger(Errors.class.getName());

    private Errors() {
    }

    public static void register(HttpRouting.Builder routing) {
        routing.error(NestException.class, (req, res, e) -> send(req, res, withoutServerPaths(ErrorResponse.of(e))));
        routing.error(IllegalArgumentException.class, (req, res, e) -> send(req, res, ErrorResponse.of(e)));
        routing.error(Throwable.class, (req, res, e) -> {
            LOG.log(Level.WARNING, "unexpected error on " + req.prologue().method().text() + " " + req.path().rawPath(), e);
            send(req, res, withoutServerPaths(ErrorResponse.of(e)));
        });
    }

    /**
     * {@link #send(ServerResponse, ErrorResponse)}, without the body for a HEAD request (its length only): a body
     * after a HEAD answer would be read as the next answer on a kept-alive connection, e.g. the gateway's pooled one.
     */
    private static void send(io.helidon.webserver.http.ServerRequest req, ServerResponse res, ErrorResponse e) {
        if (req.prologue().method() != io.helidon.http.Method.HEAD) {
            send(res, e);
            return;
        }
        res.status(Status.create(e.status()));
        res.headers().set(HeaderNames.CONTENT_TYPE, "application/json");
        e.retryAfterSeconds().ifPresent(s -> res.headers().set(HeaderNames.RETRY_AFTER, Integer.toString(s)));
        res.header(HeaderNames.CONTENT_LENGTH, String.valueOf(e.body().length));
        res.send();
    }

    /** A server error's detail without this server's file paths (they are in the log). */
    private static ErrorResponse withoutServerPaths(ErrorResponse e) {
        return e.status() < 500 ? e : new ErrorResponse(e.status(), e.error(), ServerPaths.scrub(e.detail()), e.invocationId(),
                e.retryAfterSeconds());
    }

    public static void send(ServerResponse res, int status, String error, String detail) {
        send(res, new ErrorResponse(status, error, detail));
    }

    public static void send(ServerResponse res, ErrorResponse e) {
        res.status(Status.create(e.status()));
        res.headers().set(HeaderNames.CONTENT_TYPE, "application/json");
        e.retryAfterSeconds().ifPresent(s -> res.headers().set(HeaderNames.RETRY_AFTER, Integer.toString(s)));
        res.send(e.body());
    }

    public static void json(ServerResponse res, int status, Object body) {
        res.status(Status.create(status));
        res.headers().set(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(body));
    }
}
