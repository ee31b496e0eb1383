package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.NestException;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import dev.nest.trigger.TriggerStatus;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;

/**
 * {@code GET /api/v1/functions/{name}/triggers}: the live version's triggers, whether the function answers at its
 * URL ({@code http}), who leads, and for each trigger its type, where it runs, whether it runs on the node that
 * answers, why not, and its type's details (a cron trigger: schedule, {@code nextFire}, {@code lastFire}, missed
 * ticks). Stored state is read from ZooKeeper, so next and last fire times are right on any node.
 */
record TriggerRoutes(FunctionCatalog catalog, TriggerView triggers, ClusterView cluster) implements ResourceRoutes {
    /** The body. */
    record Triggers(String name, String namespace, int version, boolean http, String node, String leader,
                    List<Trigger> triggers) {
    }

    /** One trigger. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Trigger(String name, String type, String runsOn, boolean runningHere, String problem, ObjectNode details) {
        static Trigger of(TriggerStatus s) {
            return new Trigger(s.name(), s.type(), s.runsOn().orElse(null), s.running(), s.problem().orElse(null),
                    s.details());
        }
    }

    @Override
    public String resource() {
        return "triggers";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/functions/{name}/triggers", this::list);
    }

    private void list(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        FunctionRecord r = catalog.get(id).orElseThrow(() -> NestException.notFound("function",
                "no function " + id + "; see GET /api/v1/functions"));
        FunctionVersion live = r.liveVersion().orElseThrow(() -> NestException.notFound("function",
                "function " + id + " has no live version; deploy one"));
        Errors.json(res, 200, new Triggers(id.name(), id.namespace(), live.version(), live.spec().http(),
                cluster.nodeId(), cluster.leaderId().orElse(""),
                triggers.triggers(id).stream().map(Trigger::of).toList()));
    }
}
