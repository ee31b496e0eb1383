package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code nest ns ls}: every namespace the token reads, with its quotas, rate limit and usage across the region. */
@Command(name = "ls", mixinStandardHelpOptions = true,
        description = "List namespaces with their quotas, rate limits and usage ('-': no limit).")
final class NsLsCommand extends FnCommand.Base {
    @Mixin
    Remote remote;
    @Mixin
    Output output;

    @Override
    int execute() {
        JsonNode doc = remote.client().get("/api/v1/namespaces");
        if (output.printed(out(), doc)) {
            return 0;
        }
        Table t = new Table(out(), " ", -24, -10, -14, -10, -10, -12, 0)
                .row("NAMESPACE", "INSTANCES", "MAX-INSTANCES", "MEMORY", "MAX-MEMORY", "RATE", "BURST");
        for (JsonNode ns : doc.path("namespaces")) {
            t.row(ns.path("namespace").asText(), ns.at("/usage/instances").asText("0"),
                    NsCommand.value(ns.at("/quota/instances")), ns.at("/usage/memory").asText("0Mi"),
                    NsCommand.value(ns.at("/quota/memory")), NsCommand.value(ns.at("/limits/rate")),
                    NsCommand.value(ns.at("/limits/burst")));
        }
        return 0;
    }
}
