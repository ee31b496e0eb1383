package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import dev.nest.common.Json;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.release.Releases;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.function.BiFunction;

/**
 * {@code /api/v1/functions/{name}/releases}: start a canary release ({@code POST}), show the current or last one
 * ({@code GET .../releases/current}: state, step, each check's figures, reason), and pause, resume or abort it
 * ({@code POST .../releases/current/pause|resume|abort}). The rules are {@link Releases}'.
 */
record ReleaseRoutes(Releases releases) implements ResourceRoutes {
    @Override
    public String resource() {
        return "releases";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.post(PREFIX + "/functions/{name}/releases", this::start);
        r.get(PREFIX + "/functions/{name}/releases/current", this::current);
        r.post(PREFIX + "/functions/{name}/releases/current/pause", (req, res) -> change(req, res, releases::pause));
        r.post(PREFIX + "/functions/{name}/releases/current/resume", (req, res) -> change(req, res, releases::resume));
        r.post(PREFIX + "/functions/{name}/releases/current/abort", (req, res) -> change(req, res, releases::abort));
    }

    private void start(ServerRequest req, ServerResponse res) {
        FunctionRecord r = releases.start(Requests.function(req), Json.tree(Requests.body(req), "request body"),
                Requests.source(req));
        Errors.json(res, 201, Releases.view(r).orElseThrow());
    }

    private void current(ServerRequest req, ServerResponse res) {
        Errors.json(res, 200, releases.current(Requests.function(req)));
    }

    private void change(ServerRequest req, ServerResponse res, BiFunction<FunctionId, String, FunctionRecord> op) {
        FunctionRecord r = op.apply(Requests.function(req), Requests.source(req));
        Errors.json(res, 200, Releases.view(r).orElseThrow());
    }
}
