package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/**
 * {@code nest fn triggers NAME}: a function's triggers, one line each: name, type, where it runs, whether it runs on
 * the node asked, its next and last fire times (cron) and any problem. Needs a token that may read the namespace.
 */
@Command(name = "triggers", mixinStandardHelpOptions = true,
        description = "A function's triggers: type, where they run, next and last fire times.")
final class TriggersCommand extends FnCommand.OfFunction {
    @picocli.CommandLine.Mixin
    Output output;

    @Override
    int execute() {
        JsonNode r = server.client().get("/api/v1/functions/" + name + "/triggers?" + server.ns());
        if (output.printed(out(), r)) {
            return 0;
        }
        if (!r.path("http").asBoolean(true)) {
            out().println(r.path("namespace").asText() + "/" + r.path("name").asText()
                    + " is event-only (http: false): its URL answers 404");
        }
        JsonNode list = r.path("triggers");
        if (list.isEmpty()) {
            out().println("no triggers");
            return 0;
        }
        Table t = new Table(out(), "  ", -16, -8, -10, -5, -24, -24, 0)
                .row("NAME", "TYPE", "RUNS-ON", "HERE", "NEXT", "LAST", "DETAIL");
        for (JsonNode x : list) {
            JsonNode d = x.path("details");
            String detail = x.hasNonNull("problem") ? "problem: " + x.path("problem").asText()
                    : d.has("schedule") ? d.path("schedule").asText() + " " + d.path("timezone").asText()
                    + (d.path("missed").asLong() > 0 ? ", missed " + d.path("missed").asLong() : "") : "";
            t.row(x.path("name").asText(), x.path("type").asText(), x.path("runsOn").asText("-"),
                    x.path("runningHere").asBoolean() ? "yes" : "no", d.path("nextFire").asText("-"),
                    d.path("lastFire").asText("-"), detail);
        }
        return 0;
    }
}
