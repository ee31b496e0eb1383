package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.async.AsyncLedger;
import dev.nest.auth.Action;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.history.FollowPositions;
import dev.nest.history.HistoryException;
import dev.nest.history.HistoryJson;
import dev.nest.history.HistoryParams;
import dev.nest.history.LogStream;
import dev.nest.history.NodeLine;
import dev.nest.history.NodeRecord;
import dev.nest.history.Page;
import dev.nest.history.RegionHistory;
import dev.nest.store.InvocationRecord;
import dev.nest.store.LogLine;
import dev.nest.store.NodeStore;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code /api/v1/invocations[/{id}]}, {@code /api/v1/logs} and {@code /api/v1/functions/{name}/logs}: the region's
 * invocation records and log lines, whichever node served them ({@link RegionHistory}: this node's store plus every
 * other live node's, merged by time). Lists page with {@code ?cursor=} (the previous answer's {@code next}) and
 * filter by {@code function}, {@code version}, {@code status}, {@code cold}, {@code since}, {@code until},
 * {@code invocation}; an answer that lacks a node's part says {@code "partial": true} and names it in
 * {@code unreachable}. {@code ?follow=true} on {@code /logs} streams new lines as Server-Sent Events
 * ({@link LogStream}). {@code ?scope=node} (what nodes ask each other, with the peer credential) answers from this
 * node alone.
 *
 * <p>An async invocation's entry also has its ledger ({@code async}: queued, running, retrying, succeeded, ...).
 * Lists show only invocations and lines of namespaces the caller's token covers (so they may hold fewer than
 * {@code ?limit=}); one invocation is answered only when its function's namespace is covered (403 otherwise).
 */
record InvocationRoutes(NodeStore store, AsyncLedger async, Supplier<RegionHistory> history, Clock clock,
                        LogStream followers) implements ResourceRoutes {
    /** The highest {@code ?limit=} of an invocation list; a larger one is lowered to it. */
    static final int MAX_INVOCATIONS = 1_000;
    /** The highest {@code ?limit=} of a log list. */
    static final int MAX_LINES = 5_000;

    /** {@code GET /invocations/{id}}: the invocation (once an attempt was made), its log lines, its async ledger. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Invocation(InvocationRecord invocation, List<LogLine> logs, AsyncRoutes.View async, String node) {
    }

    @Override
    public String resource() {
        return "invocations";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/invocations", this::invocations);
        r.get(PREFIX + "/invocations/{id}", this::invocation);
        r.get(PREFIX + "/functions/{name}/logs", this::functionLogs);
        r.get(PREFIX + "/logs", this::logs);
    }

    /** {@code ?function=} (a name, with {@code ?namespace=}, or {@code namespace/name}) and {@code ?limit=} (50). */
    private void invocations(ServerRequest req, ServerResponse res) {
        HistoryParams p = params(req, functionParam(req), 50, MAX_INVOCATIONS);
        ObjectNode body = dev.nest.common.Json.mapper().createObjectNode();
        var list = body.putArray("invocations");
        if (nodeOnly(req)) {
            history.get().localInvocations(p).stream().filter(r -> visible(req, r.record().function()))
                    .forEach(r -> list.add(HistoryJson.record(r)));
            Errors.json(res, 200, body);
            return;
        }
        Page<NodeRecord> page = history.get().invocations(p);
        page.items().stream().filter(r -> visible(req, r.record().function())).forEach(r -> list.add(HistoryJson.record(r)));
        paging(body, page);
        Errors.json(res, 200, body);
    }

    private void invocation(ServerRequest req, ServerResponse res) {
        String id = Requests.param(req, "id");
        store.flush();
        Optional<AsyncRoutes.View> queued = async.status(id).map(AsyncRoutes::view);
        Optional<InvocationRecord> r = store.invocation(id);
        if (r.isPresent() || queued.isPresent()) {
            String function = r.map(InvocationRecord::function).orElseGet(() -> queued.orElseThrow().function());
            checkRecord(req, function);
            Errors.json(res, 200, new Invocation(r.orElse(null), store.logs(Optional.empty(), Optional.of(id), 1000),
                    queued.orElse(null), history.get().self()));
            return;
        }
        if (nodeOnly(req)) {
            throw NestException.notFound("invocation", "no invocation " + id + " on this node");
        }
        RegionHistory.Found found = history.get().find(id);
        if (found.answer().isEmpty()) {
            throw NestException.notFound("invocation", "no invocation " + id + " on any node of the region"
                    + (found.unreachable().isEmpty() ? "" : "; these nodes did not answer, it may be on one of them: "
                    + String.join(", ", found.unreachable())));
        }
        JsonNode answer = found.answer().get();
        String function = answer.path("invocation").path("function").asText(answer.path("async").path("function").asText());
        checkRecord(req, function);
        ObjectNode out = answer.deepCopy();
        out.put("node", found.node().orElseThrow());
        Errors.json(res, 200, out);
    }

    /** {@code ?invocation=}, {@code ?since=}, {@code ?until=}, {@code ?cursor=} and {@code ?limit=} (100). */
    private void functionLogs(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        lines(req, res, Optional.of(id.toString()), true);
    }

    /** {@code ?function=} (optional, or {@code ?follow=true} with it), and the filters of {@link #functionLogs}. */
    private void logs(ServerRequest req, ServerResponse res) {
        lines(req, res, functionParam(req), false);
    }

    private void lines(ServerRequest req, ServerResponse res, Optional<String> function, boolean named) {
        HistoryParams p = params(req, function, 100, MAX_LINES);
        String follow = req.query().first("follow").orElse("false");
        if (!follow.equals("true") && !follow.equals("false")) {
            throw NestException.badRequest("query parameter 'follow': value '" + follow.substring(0, Math.min(40,
                    follow.length())) + "' is not valid; allowed: true or false");
        }
        Optional<String> after = req.query().first("after").asOptional();
        if (after.isPresent()) { // a peer's follower polls this node
            if (!after.get().matches("-1|\\d{1,19}")) {
                throw NestException.badRequest("query parameter 'after': value '" + after.get().substring(0,
                        Math.min(40, after.get().length())) + "' is not valid; allowed: -1 or a line's sequence number");
            }
            RegionHistory.Tail tail = history.get().localTail(p, Long.parseLong(after.get()));
            ObjectNode body = dev.nest.common.Json.mapper().createObjectNode();
            var list = body.putArray("logs");
            tail.lines().stream().filter(l -> visibleLine(req, l)).forEach(l -> list.add(HistoryJson.line(l)));
            body.put("last", tail.last());
            Errors.json(res, 200, body);
            return;
        }
        if (follow.equals("true")) {
            if (function.isEmpty() && p.invocation().isEmpty()) {
                throw NestException.badRequest("query parameter 'function': following needs a function "
                        + "(?function=NAME, with ?namespace= or as namespace/name) or ?invocation=ID");
            }
            follow(req, res, p);
            return;
        }
        ObjectNode body = dev.nest.common.Json.mapper().createObjectNode();
        if (named) {
            body.put("function", function.orElseThrow());
        }
        var list = body.putArray("logs");
        List<NodeLine> shown;
        Optional<Page<NodeLine>> page = Optional.empty();
        if (nodeOnly(req)) {
            shown = history.get().localLines(p);
        } else {
            page = Optional.of(history.get().lines(p));
            shown = page.get().items();
        }
        // oldest first among the newest, as a terminal shows them
        List<NodeLine> ordered = new ArrayList<>(shown);
        java.util.Collections.reverse(ordered);
        ordered.stream().filter(l -> visibleLine(req, l)).forEach(l -> list.add(HistoryJson.line(l)));
        page.ifPresent(pg -> paging(body, pg));
        Errors.json(res, 200, body);
    }

    private void follow(ServerRequest req, ServerResponse res, HistoryParams p) {
        FollowPositions from;
        try {
            from = FollowPositions.parse(req.headers().first(HeaderNames.create("Last-Event-ID")).orElse(""));
        } catch (HistoryException e) {
            throw NestException.badRequest(e.getMessage());
        }
        if (followers.closed()) {
            throw new NestException(503, "stopping", "this node is stopping; follow the logs through another node");
        }
        if (!followers.tryStart()) {
            throw new NestException(429, "too many followers", "this node already streams logs to " + followers.max()
                    + " followers; stop one, or follow through another node");
        }
        try {
            res.status(Status.OK_200);
            res.headers().set(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
            res.headers().set(HeaderNames.CACHE_CONTROL, "no-cache");
            res.headers().set(HeaderNames.create("X-Accel-Buffering"), "no");
            try (OutputStream out = res.outputStream()) {
                followers.run(from, at -> {
                    RegionHistory.Poll poll = history.get().follow(p, at);
                    return new RegionHistory.Poll(poll.start(), poll.lines().stream().filter(l -> visibleLine(req, l))
                            .toList(), poll.end(), poll.unreachable());
                }, new LogStream.Sink() {
                    @Override
                    public void write(String text) throws IOException {
                        out.write(text.getBytes(StandardCharsets.UTF_8));
                    }

                    @Override
                    public void flush() throws IOException {
                        out.flush();
                    }
                });
            } catch (IOException | java.io.UncheckedIOException e) {
                // the client went
            }
        } finally {
            followers.done();
        }
    }

    private static void paging(ObjectNode body, Page<?> page) {
        page.next().ifPresent(n -> body.put("next", n));
        if (page.partial()) {
            body.put("partial", true);
            var u = body.putArray("unreachable");
            page.unreachable().forEach(u::add);
        }
    }

    private HistoryParams params(ServerRequest req, Optional<String> function, int dflt, int cap) {
        try {
            return HistoryParams.parse(function, name -> req.query().first(name).asOptional(), clock.instant(), dflt, cap);
        } catch (HistoryException e) {
            throw NestException.badRequest(e.getMessage());
        }
    }

    private static Optional<String> functionParam(ServerRequest req) {
        return req.query().first("function").asOptional().map(f -> {
            String ns = req.query().first("namespace").orElse(FunctionId.DEFAULT_NAMESPACE);
            try {
                return f.contains("/") ? FunctionId.parse(f).toString() : FunctionId.of(ns, f).toString();
            } catch (IllegalArgumentException e) {
                throw NestException.badRequest("query parameter 'function': " + e.getMessage());
            }
        });
    }

    /** {@code ?scope=node}, or a peer's call (which never fans out again). */
    private static boolean nodeOnly(ServerRequest req) {
        String scope = req.query().first("scope").orElse("region");
        if (!scope.equals("node") && !scope.equals("region")) {
            throw NestException.badRequest("query parameter 'scope': value '" + scope.substring(0, Math.min(40,
                    scope.length())) + "' is not valid; allowed: region (default) or node");
        }
        return scope.equals("node") || AuthFilter.peer(req);
    }

    private static boolean visible(ServerRequest req, String function) {
        return AuthFilter.peer(req) || AuthFilter.covers(req, Requests.namespaceOf(function));
    }

    /** Lines of no function (a pod's own) go to peers only: no namespace covers them. */
    private static boolean visibleLine(ServerRequest req, NodeLine l) {
        return AuthFilter.peer(req) || !l.line().function().isEmpty() && visible(req, l.line().function());
    }

    private static void checkRecord(ServerRequest req, String function) {
        if (!AuthFilter.peer(req)) {
            AuthFilter.check(req, Action.LOGS, Requests.namespaceOf(function));
        }
    }

    /** Ends the log followers' streams and refuses new ones (the node is stopping). */
    void endStreams() {
        followers.close();
    }
}
