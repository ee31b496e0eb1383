package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import dev.nest.common.Json;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.release.Aliases;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code /api/v1/functions/{name}/aliases[/{alias}]}: list a function's aliases, show one, set one
 * ({@code {"versions": {"1": 90, "2": 10}, "sticky": "header:X-User-Id"}} or {@code {"version": 3}}) and delete
 * one ({@code live} cannot be deleted). The rules are {@link Aliases}'.
 */
record AliasRoutes(Aliases aliases) implements ResourceRoutes {
    @Override
    public String resource() {
        return "aliases";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/functions/{name}/aliases", this::list);
        r.get(PREFIX + "/functions/{name}/aliases/{alias}", this::get);
        r.put(PREFIX + "/functions/{name}/aliases/{alias}", this::set);
        r.delete(PREFIX + "/functions/{name}/aliases/{alias}", this::delete);
    }

    private void list(ServerRequest req, ServerResponse res) {
        Errors.json(res, 200, aliases.list(Requests.function(req)));
    }

    private void get(ServerRequest req, ServerResponse res) {
        String name = Requests.param(req, "alias");
        Errors.json(res, 200, Aliases.view(name, aliases.get(Requests.function(req), name)));
    }

    private void set(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        String name = Requests.param(req, "alias");
        FunctionRecord r = aliases.set(id, name, Json.tree(Requests.body(req), "request body"), Requests.source(req));
        Errors.json(res, 200, Aliases.view(name, r.alias(name).orElseThrow()));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        aliases.remove(Requests.function(req), Requests.param(req, "alias"), Requests.source(req));
        res.status(204).send();
    }
}
