package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.NestException;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import dev.nest.function.SpecParser;
import dev.nest.limits.DegradeStatus;
import dev.nest.limits.Transition;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code GET /api/v1/functions/{name}/degrade}: the function's circuit breaker on this node: the live spec's
 * {@code degrade:} block (null without one) and {@code limits:} block, the state and since when, the window's calls,
 * failures and slow calls (the probes' while half-open), the calls served by the fallback, how often it opened, and
 * its transitions with their times and reasons, newest first. Each node keeps its own breaker (a node that served no
 * call of the function shows it closed, with no history); {@code node} says which one answered.
 */
record DegradeRoutes(FunctionCatalog catalog, Function<FunctionId, Optional<DegradeStatus>> breakers, ClusterView cluster)
        implements ResourceRoutes {
    /** The body. */
    record Degrade(String name, String namespace, int version, String node, JsonNode config, JsonNode limits,
                   String state, String since, long calls, long failures, long slow, long fallbacks, long opened,
                   List<Change> transitions) {
    }

    /** One transition. */
    record Change(String at, String from, String to, String reason) {
        static Change of(Transition t) {
            return new Change(t.at().toString(), t.from().key(), t.to().key(), t.reason());
        }
    }

    @Override
    public String resource() {
        return "degrade";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/functions/{name}/degrade", this::degrade);
    }

    private void degrade(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        FunctionRecord r = catalog.get(id).orElseThrow(() -> NestException.notFound("function",
                "no function " + id + "; see GET /api/v1/functions"));
        FunctionVersion live = r.liveVersion().orElseThrow(() -> NestException.notFound("function",
                "function " + id + " has no live version; deploy one"));
        JsonNode spec = SpecParser.write(live.spec());
        Optional<DegradeStatus> s = live.spec().degrade().isPresent() ? breakers.apply(id) : Optional.empty();
        Degrade body = s.map(b -> new Degrade(id.name(), id.namespace(), live.version(), cluster.nodeId(),
                        spec.get("degrade"), spec.get("limits"), b.state().key(), b.since().toString(), b.calls(),
                        b.failures(), b.slow(), b.fallbacks(), b.opened(),
                        b.transitions().stream().map(Change::of).toList()))
                .orElseGet(() -> new Degrade(id.name(), id.namespace(), live.version(), cluster.nodeId(),
                        spec.get("degrade"), spec.get("limits"), live.spec().degrade().isPresent() ? "closed" : "none",
                        null, 0, 0, 0, 0, 0, List.of()));
        Errors.json(res, 200, body);
    }
}
