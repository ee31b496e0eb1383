package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code nest fn alias set|ls|rm}: a function's aliases. {@code set NAME ALIAS 1=90 2=10 [--sticky header:X-User-Id]}
 * points an alias at versions with weights in percent (a bare {@code 3} means {@code 3=100}); {@code ls NAME} lists
 * them; {@code rm NAME ALIAS} deletes one. The server checks everything (weights summing to 100, versions that exist,
 * names) and its message is printed as it comes.
 */
@Command(name = "alias", mixinStandardHelpOptions = true, description = "Manage a function's aliases.",
        subcommands = {AliasCommand.Set.class, AliasCommand.Ls.class, AliasCommand.Rm.class})
final class AliasCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String path(String function, String alias) {
        return "/api/v1/functions/" + URLEncoder.encode(function, StandardCharsets.UTF_8) + "/aliases"
                + (alias.isEmpty() ? "" : "/" + URLEncoder.encode(alias, StandardCharsets.UTF_8));
    }

    /** {@code 1=90,2=10} as a table cell. */
    static String weights(JsonNode versions) {
        StringBuilder out = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = versions.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.append(out.isEmpty() ? "" : ",").append(e.getKey()).append('=').append(e.getValue().asInt());
        }
        return out.toString();
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Point an alias at one version, or at several with weights: set NAME ALIAS 1=90 2=10.")
    static final class Set extends FnCommand.OfFunction {
        @Parameters(index = "1", description = "alias name")
        String alias;
        @Parameters(index = "2..*", arity = "1..*", description = "VERSION or VERSION=PERCENT, percents summing to 100")
        List<String> versions;
        @Option(names = "--sticky", description = "keep each caller on one version: header:NAME or cookie:NAME")
        String sticky;

        @Override
        int execute() {
            Map<String, Object> weights = new LinkedHashMap<>();
            for (String v : versions) {
                int eq = v.indexOf('=');
                String version = eq < 0 ? v : v.substring(0, eq);
                String percent = eq < 0 ? "100" : v.substring(eq + 1);
                try {
                    weights.put(Integer.toString(Integer.parseInt(version.trim())), Integer.parseInt(percent.trim()));
                } catch (NumberFormatException e) {
                    throw new CliException("'" + v + "' is not VERSION or VERSION=PERCENT (e.g. 1=90 2=10)");
                }
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("versions", weights);
            if (sticky != null) {
                body.put("sticky", sticky);
            }
            JsonNode a = server.client().json(server.client().request(path(name, alias) + "?" + server.ns())
                    .header("Content-Type", "application/json")
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(dev.nest.common.Json.bytes(body))));
            out().println(server.namespace + "/" + name + ": alias " + alias + " -> " + weights(a.path("versions"))
                    + (a.has("sticky") ? " (sticky " + a.path("sticky").asText() + ")" : ""));
            return 0;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List a function's aliases.")
    static final class Ls extends FnCommand.OfFunction {
        @CommandLine.Mixin
        Output output;

        @Override
        int execute() {
            JsonNode r = server.client().get(path(name, "") + "?" + server.ns());
            if (output.printed(out(), r)) {
                return 0;
            }
            Table t = new Table(out(), " ", -24, -24, 0).row("ALIAS", "VERSIONS", "STICKY");
            for (JsonNode a : r.path("aliases")) {
                t.row(a.path("name").asText(), weights(a.path("versions")), a.path("sticky").asText("-"));
            }
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Delete an alias (live cannot be deleted).")
    static final class Rm extends FnCommand.OfFunction {
        @Parameters(index = "1", description = "alias name")
        String alias;

        @Override
        int execute() {
            server.client().delete(path(name, alias) + "?" + server.ns());
            out().println(server.namespace + "/" + name + ": alias " + alias + " deleted");
            return 0;
        }
    }
}
