package dev.nest.api;

import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.load.ClusterLoad;
import dev.nest.load.LoadReport;
import dev.nest.load.LoadReporter;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The load endpoints of the admin API, for other nodes (with the cluster's peer credential) and admins: {@code POST /api/v1/cluster/load} takes a node's {@link LoadReport} (and
 * wakes the scaler for the functions it says starved), {@code GET /api/v1/cluster/load} shows the cluster's summed
 * load and each node's part as this node sees it (on the leader: every reporting node).
 *
 * @param load the aggregation the reports go to
 * @param wake wakes the scaler for a function that starved on the reporting node
 */
record LoadRoutes(ClusterLoad load, Consumer<FunctionId> wake) implements ResourceRoutes {
    /** The most a report may weigh: about 10,000 functions. */
    static final int MAX_REPORT_BYTES = 4 * 1024 * 1024;

    @Override
    public String resource() {
        return "load";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(LoadReporter.PATH, this::show);
        r.post(LoadReporter.PATH, this::receive);
    }

    private void receive(ServerRequest req, ServerResponse res) {
        byte[] body;
        try (InputStream in = req.content().inputStream()) {
            body = in.readNBytes(MAX_REPORT_BYTES + 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (body.length > MAX_REPORT_BYTES) {
            throw NestException.badRequest("load report larger than " + MAX_REPORT_BYTES + " bytes");
        }
        LoadReport report;
        try {
            report = Json.mapper().treeToValue(Json.tree(body, "load report"), LoadReport.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw NestException.badRequest("load report is not valid: " + e.getOriginalMessage()
                    + " (send {node, boot, functions: [...], starved: [...]}, see docs/API.md)");
        }
        List<FunctionId> starved = load.accept(report);
        starved.forEach(wake);
        res.status(204).send();
    }

    private void show(ServerRequest req, ServerResponse res) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> total = new LinkedHashMap<>();
        load.load().forEach((id, l) -> total.put(id.toString(), l));
        out.put("functions", total);
        out.put("nodes", load.nodes());
        Errors.json(res, 200, out);
    }
}
