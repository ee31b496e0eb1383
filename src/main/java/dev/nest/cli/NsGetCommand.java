package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code nest ns get NAME}: one namespace's quotas and rate limit, with what it uses now. */
@Command(name = "get", mixinStandardHelpOptions = true,
        description = "Show a namespace's quotas, rate limit and usage ('-': no limit).")
final class NsGetCommand extends FnCommand.Base {
    @Parameters(index = "0", description = "the namespace")
    String name;
    @Mixin
    Remote remote;
    @Mixin
    Output output;

    @Override
    int execute() {
        JsonNode ns = remote.client().get("/api/v1/namespaces/" + URLEncoder.encode(name, StandardCharsets.UTF_8));
        if (output.printed(out(), ns)) {
            return 0;
        }
        Table t = new Table(out(), " ", -16, 0);
        t.row("namespace", ns.path("namespace").asText(name));
        t.row("instances", ns.at("/usage/instances").asText("0") + " of " + NsCommand.value(ns.at("/quota/instances")));
        t.row("memory", ns.at("/usage/memory").asText("0Mi") + " of " + NsCommand.value(ns.at("/quota/memory")));
        t.row("rate", NsCommand.value(ns.at("/limits/rate")));
        t.row("burst", NsCommand.value(ns.at("/limits/burst")));
        t.row("updated", NsCommand.value(ns.path("updatedAt")));
        return 0;
    }
}
