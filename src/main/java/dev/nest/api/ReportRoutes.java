package dev.nest.api;

import dev.nest.auth.Action;
import dev.nest.common.NestException;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.report.Bucket;
import dev.nest.report.ClusterReports;
import dev.nest.report.Report;
import dev.nest.report.ReportWindow;
import dev.nest.report.Resolution;
import dev.nest.report.Scope;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;

/**
 * The monitoring report: {@code GET /api/v1/functions/{name}/report?window=} and
 * {@code GET /api/v1/namespaces/{name}/report?window=} (gathered from every live node, {@link ClusterReports}), and
 * the peer route {@code GET /api/v1/report/buckets} that answers this node's buckets to the others.
 *
 * @param node    this node's id
 * @param reports the region's reports
 * @param local   this node's buckets
 * @param catalog the functions, so that a report of an unknown function is a 404
 * @param backlog this node's async backlog of a scope, when its queue tells
 */
record ReportRoutes(String node, ClusterReports reports, ClusterReports.LocalBuckets local, FunctionCatalog catalog,
                    java.util.function.Function<Scope, java.util.Optional<dev.nest.report.Backlog>> backlog)
        implements ResourceRoutes {
    /** The longest range the peer route answers (the hour buckets' retention and a day). */
    static final long MAX_RANGE_SECONDS = 9L * 24 * 3600;

    @Override
    public String resource() {
        return "reports";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(AdminRoutes.PREFIX + "/functions/{name}/report", this::function);
        r.get(AdminRoutes.PREFIX + "/namespaces/{name}/report", this::namespace);
        r.get(ClusterReports.PATH, this::buckets);
    }

    private void function(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        ReportWindow w = window(req);
        Report report = reports.report(Scope.function(id.toString()), w);
        if (catalog.get(id).isEmpty() && report.totals().requests() == 0) {
            throw NestException.notFound("function not found", "no function " + id + " (and no invocations of it in the last "
                    + w.label() + ")");
        }
        Errors.json(res, 200, report.toJson());
    }

    private void namespace(ServerRequest req, ServerResponse res) {
        String ns = Requests.param(req, "name");
        if (!FunctionId.LABEL.matcher(ns).matches()) {
            throw NestException.badRequest("namespace: '" + shown(ns) + "' is not valid; " + FunctionId.LABEL_RULE);
        }
        AuthFilter.check(req, Action.READ, ns);
        Errors.json(res, 200, reports.report(Scope.namespace(ns), window(req)).toJson());
    }

    private void buckets(ServerRequest req, ServerResponse res) {
        String kind = req.query().first("scope").orElse("");
        String name = req.query().first("name").orElse("");
        Scope scope;
        try {
            scope = switch (kind) {
                case "function" -> Scope.function(FunctionId.parse(name).toString());
                case "namespace" -> {
                    if (!FunctionId.LABEL.matcher(name).matches()) {
                        throw new IllegalArgumentException("name: '" + shown(name) + "' is not a namespace; "
                                + FunctionId.LABEL_RULE);
                    }
                    yield Scope.namespace(name);
                }
                default -> throw new IllegalArgumentException("scope: '" + shown(kind)
                        + "' is not allowed; use function or namespace");
            };
        } catch (IllegalArgumentException e) {
            throw NestException.badRequest(e.getMessage());
        }
        Resolution resolution;
        try {
            resolution = Resolution.of(Integer.parseInt(req.query().first("resolution").orElse("60")));
        } catch (IllegalArgumentException e) {
            throw NestException.badRequest("resolution: '" + shown(req.query().first("resolution").orElse(""))
                    + "' is not allowed; use 60 or 3600");
        }
        long from = seconds(req, "from");
        long until = seconds(req, "until");
        if (until < from || until - from > MAX_RANGE_SECONDS) {
            throw NestException.badRequest("from " + from + " to until " + until + " is not a range of at most "
                    + MAX_RANGE_SECONDS + " seconds");
        }
        List<Bucket> buckets = local.buckets(scope, resolution, from, until);
        Errors.json(res, 200, ClusterReports.encode(node, buckets, backlog.apply(scope)));
    }

    private static ReportWindow window(ServerRequest req) {
        try {
            return ReportWindow.parse(req.query().first("window").orElse("1h"));
        } catch (IllegalArgumentException e) {
            throw NestException.badRequest(e.getMessage());
        }
    }

    private static long seconds(ServerRequest req, String key) {
        String v = req.query().first(key).orElse("");
        if (!v.matches("\\d{1,12}")) {
            throw NestException.badRequest(key + ": '" + shown(v) + "' is not allowed; use epoch seconds");
        }
        return Long.parseLong(v);
    }

    private static String shown(String v) {
        return v.length() > 40 ? v.substring(0, 40) + "..." : v;
    }
}
