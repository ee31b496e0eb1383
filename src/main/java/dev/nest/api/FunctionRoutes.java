package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import dev.nest.auth.Action;
import dev.nest.common.NestException;
import dev.nest.deploy.Deployer;
import dev.nest.deploy.FileProblem;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code /api/v1/functions[/{name}]}: list, create, get, update (a new version with a new spec, and new code when
 * a digest is given) and delete. Functions broken in their config file are listed with their error. The list shows
 * only the namespaces the caller's token covers; a create or update checks the namespace its spec names.
 */
record FunctionRoutes(FunctionRegistry registry, Deployer deployer, FileProblems files, LocalNode node, FunctionViews views) implements ResourceRoutes {
    @Override
    public String resource() {
        return "functions";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/functions", this::list);
        r.post(PREFIX + "/functions", this::create);
        r.get(PREFIX + "/functions/{name}", this::get);
        r.put(PREFIX + "/functions/{name}", this::update);
        r.delete(PREFIX + "/functions/{name}", this::delete);
    }

    private void list(ServerRequest req, ServerResponse res) {
        Optional<String> ns = req.query().first("namespace").asOptional();
        Map<String, Object> out = new TreeMap<>();
        for (FunctionRecord r : registry.all()) {
            if ((ns.isEmpty() || ns.get().equals(r.id().namespace())) && AuthFilter.covers(req, r.id().namespace())) {
                out.put(r.id().toString(), views.summary(r));
            }
        }
        for (FileProblem p : files.problems()) {
            if ((ns.isEmpty() || ns.get().equals(p.namespace())) && AuthFilter.covers(req, p.namespace())) {
                out.compute(p.namespace() + "/" + p.name(), (k, v) -> switch (v) {
                    case null -> FunctionViews.Broken.of(p);
                    case FunctionViews.Summary s -> s.withProblem(p);
                    case FunctionViews.Broken b -> b.withProblem(p);
                    default -> throw new IllegalStateException("unexpected " + v);
                });
            }
        }
        Errors.json(res, 200, new FunctionViews.Listing(new ArrayList<>(out.values())));
    }

    private void get(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        Optional<FunctionRecord> r = registry.get(id);
        Optional<FileProblem> problem = files.problem(id);
        if (r.isPresent()) {
            Errors.json(res, 200, FunctionViews.Detail.of(views.summary(r.get()), r.get(), node.instances(id)));
        } else if (problem.isPresent()) {
            FileProblem p = problem.get();
            Errors.json(res, 200, new FunctionViews.Broken(id.name(), id.namespace(), "error", p.error(), p.file()));
        } else {
            throw NestException.notFound("function", "no function " + id + "; see GET /api/v1/functions");
        }
    }

    private void create(ServerRequest req, ServerResponse res) {
        DeployRequest d = DeployRequest.read(req, Optional.empty());
        AuthFilter.check(req, Action.DEPLOY, d.spec().id().namespace());
        deployed(res, 201, deployer.create(d.spec(), d.requireDigest(), Requests.source(req), Deployer.API));
    }

    private void update(ServerRequest req, ServerResponse res) {
        DeployRequest d = DeployRequest.read(req, Optional.of(Requests.function(req)));
        AuthFilter.check(req, Action.DEPLOY, d.spec().id().namespace());
        Deployer.Deployed result = d.digest().isPresent()
                ? deployer.deploy(d.spec(), d.digest().get(), Requests.source(req), Deployer.API)
                : deployer.updateSpec(d.spec(), Requests.source(req));
        deployed(res, 200, result);
    }

    private void deployed(ServerResponse res, int status, Deployer.Deployed d) {
        Errors.json(res, status, deployedBody(views, d));
    }

    static FunctionViews.Deployed deployedBody(FunctionViews views, Deployer.Deployed d) {
        return new FunctionViews.Deployed(views.summary(d.record()), d.version().version(), d.changed(),
                d.version().digest());
    }

    private void delete(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        if (!deployer.delete(id, Requests.source(req))) {
            throw NestException.notFound("function", "no function " + id);
        }
        Errors.json(res, 200, new FunctionViews.Deleted(id.toString()));
    }
}
