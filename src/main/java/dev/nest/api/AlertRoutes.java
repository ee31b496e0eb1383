package dev.nest.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.alert.AlertRule;
import dev.nest.alert.AlertStatus;
import dev.nest.alert.AlertStore;
import dev.nest.auth.Action;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Alert rules and their states: {@code GET /api/v1/alerts} (the rules of the namespaces the caller may read),
 * {@code GET}, {@code PUT} and {@code DELETE /api/v1/alerts/{name}}. A rule belongs to its namespace: reading it needs
 * {@code read} there, writing or deleting it {@code deploy} (in the old namespace too when a rule moves).
 *
 * @param store   the region's rules and stored states
 * @param status  a rule's current state (the leader's judgement, else the stored one)
 * @param refusal why a webhook URL may not be called (its host not on {@code async.destinations.allow})
 */
record AlertRoutes(AlertStore store, Function<String, Optional<AlertStatus>> status,
                   Function<String, Optional<String>> refusal, Clock clock) implements ResourceRoutes {
    @Override
    public String resource() {
        return "alerts";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(AdminRoutes.PREFIX + "/alerts", this::list);
        r.get(AdminRoutes.PREFIX + "/alerts/{name}", this::get);
        r.put(AdminRoutes.PREFIX + "/alerts/{name}", this::put);
        r.delete(AdminRoutes.PREFIX + "/alerts/{name}", this::delete);
    }

    private void list(ServerRequest req, ServerResponse res) {
        List<ObjectNode> out = store.rules().stream().filter(a -> AuthFilter.covers(req, a.namespace()))
                .map(this::view).toList();
        Errors.json(res, 200, Map.of("alerts", out));
    }

    private void get(ServerRequest req, ServerResponse res) {
        AlertRule rule = existing(req);
        AuthFilter.check(req, Action.READ, rule.namespace());
        Errors.json(res, 200, view(rule));
    }

    private void put(ServerRequest req, ServerResponse res) {
        String name = name(req);
        AlertRule rule;
        try {
            rule = AlertRule.parse(name, Json.tree(Requests.body(req), "alert rule"), refusal, clock.instant());
        } catch (IllegalArgumentException e) {
            throw NestException.badRequest(e.getMessage());
        }
        AuthFilter.check(req, Action.DEPLOY, rule.namespace());
        store.rule(name).ifPresent(old -> AuthFilter.check(req, Action.DEPLOY, old.namespace()));
        store.put(rule);
        Errors.json(res, 200, view(rule));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        AlertRule rule = existing(req);
        AuthFilter.check(req, Action.DEPLOY, rule.namespace());
        store.delete(rule.name());
        res.status(204).send();
    }

    private AlertRule existing(ServerRequest req) {
        String name = name(req);
        return store.rule(name).orElseThrow(() -> NestException.notFound("alert not found", "no alert '" + name
                + "'; see GET /api/v1/alerts"));
    }

    private static String name(ServerRequest req) {
        String name = Requests.param(req, "name");
        if (!FunctionId.LABEL.matcher(name).matches()) {
            throw NestException.badRequest("alert name: '" + (name.length() > 60 ? name.substring(0, 60) + "..." : name)
                    + "' is not valid; " + FunctionId.LABEL_RULE);
        }
        return name;
    }

    private ObjectNode view(AlertRule rule) {
        ObjectNode n = rule.toJson();
        AlertStatus s = status.apply(rule.name()).orElse(AlertStatus.initial(rule.name(), rule.updatedAt()));
        n.put("state", s.state().label());
        n.put("since", s.since().toString());
        s.value().ifPresentOrElse(v -> n.put("value", v), () -> n.putNull("value"));
        n.put("detail", s.detail());
        return n;
    }
}
