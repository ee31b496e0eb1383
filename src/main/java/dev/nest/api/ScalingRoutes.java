package dev.nest.api;

import static com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL;
import static dev.nest.api.AdminRoutes.PREFIX;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import dev.nest.function.SpecParser;
import dev.nest.scaler.InstanceLoad;
import dev.nest.scaler.ScalingConfig;
import dev.nest.scaler.ScalingEvent;
import dev.nest.scaler.ScalingStatus;
import dev.nest.scheduler.Scheduler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /api/v1/functions/{name}/scaling}: the effective scaling config, the scaler's current metrics, its
 * desired count and recent decisions (newest first), and the scheduler's placement. Before the scaler has seen
 * the function (it decides every second on the leader) the answer says so and has no decision. A null field of
 * the body's records is one the JSON leaves out.
 */
record ScalingRoutes(FunctionCatalog catalog, ScalingView scaling, ClusterView cluster) implements ResourceRoutes {
    /** The body; the fields from {@code desired} to {@code idleSince} are absent until the scaler saw the function. */
    record Scaling(String name, String namespace, int version, JsonNode config, boolean active, String leader,
                   @JsonInclude(NON_NULL) Integer desired, @JsonInclude(NON_NULL) String rule, String reason,
                   @JsonInclude(NON_NULL) String decidedAt, @JsonInclude(NON_NULL) Load instances,
                   @JsonInclude(NON_NULL) Map<String, Double> metrics, @JsonInclude(NON_NULL) String idleSince,
                   List<Decision> decisions, Placement placement) {
    }

    /** The load the scaler last read; CPU and memory rounded. */
    record Load(int ready, int busy, int starting, int inFlight, int queued, long served, double cpu, double memoryMb,
                int measured) {
        static Load of(InstanceLoad l) {
            return new Load(l.ready(), l.busy(), l.starting(), l.inFlight(), l.queued(), l.served(),
                    Math.round(l.cpu() * 1000) / 1000.0, Math.round(l.memoryMb() * 10) / 10.0, l.measured());
        }
    }

    /** One decision that changed the desired count. */
    record Decision(Instant at, int from, int to, String rule, String reason, Map<String, Double> metrics) {
        static Decision of(ScalingEvent e) {
            return new Decision(e.at(), e.from(), e.to(), e.rule().key(), e.reason(), e.metrics());
        }
    }

    /** The scheduler's placement; all but {@code noCapacityEvents} absent until it placed the function. */
    @JsonInclude(NON_NULL)
    record Placement(long noCapacityEvents, Integer wanted, Integer placed, Integer shortfall,
                     Map<String, Integer> perNode, String reason) {
        static Placement of(long noCapacityEvents, Optional<Scheduler.Status> status) {
            return status.map(p -> new Placement(noCapacityEvents, p.wanted(), p.placed(), p.shortfall(), p.perNode(),
                    p.reason())).orElseGet(() -> new Placement(noCapacityEvents, null, null, null, null, null));
        }
    }

    /** A metric the scaler follows and its target. */
    record Metric(String type, double target) {
    }

    @Override
    public String resource() {
        return "scaling";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/functions/{name}/scaling", this::scaling);
    }

    private void scaling(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        FunctionRecord r = catalog.get(id).orElseThrow(() -> NestException.notFound("function",
                "no function " + id + "; see GET /api/v1/functions"));
        FunctionVersion live = r.liveVersion().orElseThrow(() -> NestException.notFound("function",
                "function " + id + " has no live version; deploy one"));
        Errors.json(res, 200, body(id, live, scaling.status(id)));
    }

    private Scaling body(FunctionId id, FunctionVersion live, Optional<ScalingStatus> status) {
        JsonNode config = SpecParser.write(live.spec()).get("scaling");
        String leader = cluster.leaderId().orElse("");
        Placement placement = Placement.of(scaling.noCapacityEvents(), scaling.placement(id));
        if (status.isEmpty()) {
            return new Scaling(id.name(), id.namespace(), live.version(), config, scaling.active(), leader, null, null,
                    "the scaler has not seen this function yet (it decides every second on the leader)", null, null,
                    null, null, List.of(), placement);
        }
        ScalingStatus s = status.get();
        return new Scaling(id.name(), id.namespace(), live.version(), effective(config, s.config()), scaling.active(),
                leader, s.desired(), s.rule() == null ? "" : s.rule().key(), s.reason(),
                s.decidedAt() == null ? "" : s.decidedAt().toString(), Load.of(s.load()), s.metrics(),
                s.idleSince().map(Object::toString).orElse(""),
                s.events().reversed().stream().map(Decision::of).toList(), placement);
    }

    /** The spec's {@code scaling:} block with what the scaler fills in: the metrics and its two windows. */
    static JsonNode effective(JsonNode spec, ScalingConfig c) {
        ObjectNode eff = ((ObjectNode) spec).deepCopy();
        eff.set("metrics", Json.mapper().valueToTree(
                c.metrics().stream().map(m -> new Metric(m.type().key(), m.target())).toList()));
        eff.put("stable-window", Durations.format(c.stableWindow()));
        eff.put("up-window", Durations.format(c.upWindow()));
        return eff;
    }
}
