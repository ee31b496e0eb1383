package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nest fn report NAME [--window 1h] [--series]}: a function's monitoring report over the whole region
 * ({@code GET /api/v1/functions/{name}/report}): requests, error and cold-start rates, throttles, p50/p95/p99,
 * init time, concurrency and instances; with {@code --series}, one line per point. Says when some nodes did not
 * answer. Needs a token that may read the namespace.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "A function's monitoring report: requests, errors, latency percentiles, cold starts.")
final class ReportCommand extends FnCommand.OfFunction {
    @Option(names = "--window", defaultValue = "1h", description = "5m, 15m, 1h, 6h, 24h or 7d (default ${DEFAULT-VALUE})")
    String window;
    @Option(names = "--series", description = "also print one line per point of the window")
    boolean series;

    @Override
    int execute() {
        JsonNode r = server.client().get("/api/v1/functions/" + URLEncoder.encode(name, StandardCharsets.UTF_8)
                + "/report?window=" + URLEncoder.encode(window, StandardCharsets.UTF_8) + "&" + server.ns());
        JsonNode t = r.path("totals");
        out().println(r.path("namespace").asText() + "/" + r.path("function").asText() + " over "
                + r.path("window").asText() + " (" + r.path("from").asText() + " to " + r.path("until").asText() + ")");
        if (r.path("partial").asBoolean()) {
            out().println("partial: no answer from " + r.path("unreachable"));
        }
        out().println(String.format(Locale.ROOT, "requests %d  errors %d (%.2f%%)  throttles %d",
                t.path("requests").asLong(), t.path("errors").asLong(), 100 * t.path("errorRate").asDouble(),
                t.path("throttles").asLong()));
        out().println(String.format(Locale.ROOT, "latency p50 %.1f ms  p95 %.1f ms  p99 %.1f ms",
                t.path("p50").asDouble(), t.path("p95").asDouble(), t.path("p99").asDouble()));
        out().println(String.format(Locale.ROOT, "cold starts %d (%.2f%%)  init p50 %.1f ms",
                t.path("coldStarts").asLong(), 100 * t.path("coldStartRate").asDouble(), t.path("initP50").asDouble()));
        out().println(String.format(Locale.ROOT, "peak concurrency %d  instances %d  async queue %d (oldest %.0f s)",
                t.path("maxConcurrency").asInt(), t.path("instances").asInt(), t.path("queueDepth").asLong(),
                t.path("queueAgeSeconds").asDouble()));
        if (series) {
            Table table = new Table(out(), "  ", -20, 8, 6, 6, 9, 9, 5, 5, 0)
                    .row("AT", "REQ", "ERR", "THR", "P50", "P99", "COLD", "CONC", "INST");
            for (JsonNode p : r.path("series")) {
                table.row(p.path("at").asText(), p.path("requests").asText(), p.path("errors").asText(),
                        p.path("throttles").asText(), String.format(Locale.ROOT, "%.1f", p.path("p50").asDouble()),
                        String.format(Locale.ROOT, "%.1f", p.path("p99").asDouble()), p.path("coldStarts").asText(),
                        p.path("maxConcurrency").asText(), p.path("instances").asText());
            }
        }
        return 0;
    }
}
