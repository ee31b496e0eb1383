package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.nest.async.AsyncLedger;
import dev.nest.auth.Action;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.store.InvocationRecord;
import dev.nest.store.LogLine;
import dev.nest.store.NodeStore;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Optional;

/**
 * {@code /api/v1/invocations[/{id}]} and {@code /api/v1/functions/{name}/logs}: this node's recent invocations
 * and log lines. Each read flushes the store's write buffer first, so an invocation that was answered is listed.
 * An async invocation's entry also has its ledger ({@code async}: queued, running, retrying, succeeded, ...).
 * The list shows only invocations of namespaces the caller's token covers (so it may hold fewer than
 * {@code ?limit=}); one invocation is answered only when its function's namespace is covered (403 otherwise).
 */
record InvocationRoutes(NodeStore store, AsyncLedger async) implements ResourceRoutes {
    /** {@code GET /invocations}. */
    record Invocations(List<InvocationRecord> invocations) {
    }

    /** {@code GET /invocations/{id}}: the invocation (once an attempt was made), its log lines, its async ledger. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Invocation(InvocationRecord invocation, List<LogLine> logs, AsyncRoutes.View async) {
    }

    /** {@code GET /functions/{name}/logs}. */
    record Logs(String function, List<LogLine> logs) {
    }

    @Override
    public String resource() {
        return "invocations";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/invocations", this::invocations);
        r.get(PREFIX + "/invocations/{id}", this::invocation);
        r.get(PREFIX + "/functions/{name}/logs", this::logs);
    }

    /** {@code ?function=} (a name, with {@code ?namespace=}, or {@code namespace/name}) and {@code ?limit=} (50). */
    private void invocations(ServerRequest req, ServerResponse res) {
        Optional<String> fn = req.query().first("function").asOptional().map(f -> {
            String ns = req.query().first("namespace").orElse(FunctionId.DEFAULT_NAMESPACE);
            return f.contains("/") ? FunctionId.parse(f).toString() : FunctionId.of(ns, f).toString();
        });
        store.flush();
        List<InvocationRecord> all = store.invocations(fn, Requests.limit(req, 50));
        Errors.json(res, 200, new Invocations(all.stream()
                .filter(r -> AuthFilter.covers(req, Requests.namespaceOf(r.function()))).toList()));
    }

    private void invocation(ServerRequest req, ServerResponse res) {
        String id = Requests.param(req, "id");
        store.flush();
        Optional<AsyncRoutes.View> queued = async.status(id).map(AsyncRoutes::view);
        Optional<InvocationRecord> r = store.invocation(id);
        if (r.isEmpty() && queued.isEmpty()) {
            throw NestException.notFound("invocation", "no invocation " + id + " on this node");
        }
        String function = r.map(InvocationRecord::function).orElseGet(() -> queued.orElseThrow().function());
        AuthFilter.check(req, Action.LOGS, Requests.namespaceOf(function));
        Errors.json(res, 200, new Invocation(r.orElse(null), store.logs(Optional.empty(), Optional.of(id), 1000),
                queued.orElse(null)));
    }

    /** {@code ?invocation=} and {@code ?limit=} (100). */
    private void logs(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        store.flush();
        Errors.json(res, 200, new Logs(id.toString(),
                store.logs(Optional.of(id.toString()), req.query().first("invocation").asOptional(), Requests.limit(req, 100))));
    }
}
