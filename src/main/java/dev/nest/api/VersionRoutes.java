package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.auth.Action;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.deploy.Deployer;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Optional;

/**
 * {@code /api/v1/functions/{name}/versions} and {@code .../rollback}: list a function's versions, deploy a new
 * one and make it live unless the body says {@code "promote": false} (checking the namespace its spec names), and return to the previously live version (or a
 * given one).
 */
record VersionRoutes(FunctionRegistry registry, Deployer deployer, FunctionViews views) implements ResourceRoutes {
    @Override
    public String resource() {
        return "versions";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/functions/{name}/versions", this::versions);
        r.post(PREFIX + "/functions/{name}/versions", this::deploy);
        r.post(PREFIX + "/functions/{name}/rollback", this::rollback);
    }

    private void versions(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        FunctionRecord r = registry.get(id).orElseThrow(() -> NestException.notFound("function", "no function " + id));
        Errors.json(res, 200, new FunctionViews.Versions(id.toString(), r.live(),
                r.versions().values().stream().map(v -> FunctionViews.Version.of(v, r.live())).toList()));
    }

    private void deploy(ServerRequest req, ServerResponse res) {
        DeployRequest d = DeployRequest.read(req, Optional.of(Requests.function(req)));
        AuthFilter.check(req, Action.DEPLOY, d.spec().id().namespace());
        Deployer.Deployed result = deployer.deploy(d.spec(), d.requireDigest(), Requests.source(req), Deployer.API, d.promote());
        Errors.json(res, 201, FunctionRoutes.deployedBody(views, result));
    }

    /** Body {@code {}} (or none) for the previously live version, {@code {"to": n}} for version n. */
    private void rollback(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        Optional<Integer> to = Optional.empty();
        byte[] b = Requests.body(req);
        if (b.length > 0) {
            JsonNode n = Json.tree(b, "request body");
            if (n.has("to") && !n.get("to").isNull()) {
                if (!n.get("to").canConvertToInt() || n.get("to").asInt() < 1) {
                    throw NestException.badRequest("key 'to': value '" + n.get("to") + "' is not valid; allowed: a version number");
                }
                to = Optional.of(n.get("to").asInt());
            }
        }
        FunctionRecord r = deployer.rollback(id, to, Requests.source(req));
        Errors.json(res, 200, new FunctionViews.RolledBack(views.summary(r), r.live()));
    }
}
