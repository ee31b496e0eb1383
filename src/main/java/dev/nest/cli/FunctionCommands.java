package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The small {@code nest fn} commands: one server call each, whose answer is printed as a table or a line. */
final class FunctionCommands {
    private FunctionCommands() {
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List functions.")
    static final class Ls extends FnCommand.Base {
        @Mixin
        FnCommand.Server server;
        @Option(names = {"-A", "--all-namespaces"}, description = "list every namespace")
        boolean all;
        @Mixin
        Output output;

        @Override
        int execute() {
            JsonNode doc = server.client().get("/api/v1/functions" + (all ? "" : "?" + server.ns()));
            if (output.printed(out(), doc)) {
                return 0;
            }
            JsonNode list = doc.path("functions");
            Table t = new Table(out(), " ", -24, -12, -8, -6, -9, -8, 0)
                    .row("NAME", "NAMESPACE", "RUNTIME", "LIVE", "VERSIONS", "STATUS", "ERROR");
            for (JsonNode f : list) {
                t.row(f.path("name").asText(), f.path("namespace").asText(), f.path("runtime").asText("-"),
                        f.path("live").asInt(0), f.path("versions").asInt(0), f.path("status").asText(),
                        f.path("error").asText(""));
            }
            return 0;
        }
    }

    @Command(name = "versions", mixinStandardHelpOptions = true, description = "List a function's versions.")
    static final class Versions extends FnCommand.OfFunction {
        @Mixin
        Output output;

        @Override
        int execute() {
            JsonNode r = server.client().get("/api/v1/functions/" + name + "/versions?" + server.ns());
            if (output.printed(out(), r)) {
                return 0;
            }
            Table t = new Table(out(), " ", -8, -5, -24, -19, 0).row("VERSION", "LIVE", "CREATED", "DIGEST", "SOURCE");
            for (JsonNode v : r.path("versions")) {
                t.row(v.path("version").asInt(), v.path("live").asBoolean() ? "*" : "", v.path("createdAt").asText(),
                        v.path("digest").asText().substring(0, 19), v.path("source").asText());
            }
            return 0;
        }
    }

    @Command(name = "instances", mixinStandardHelpOptions = true,
            description = "List a function's instances on the node the server option names, with their placement:"
                    + " dedicated (a pod of its own), merged, or burst (a burst worker in the merged pod POD).")
    static final class Instances extends FnCommand.OfFunction {
        @Mixin
        Output output;

        @Override
        int execute() {
            JsonNode r = server.client().get("/api/v1/functions/" + name + "/instances?" + server.ns());
            if (output.printed(out(), r)) {
                return 0;
            }
            Table t = new Table(out(), " ", -28, -8, -9, -10, -7, -10, 0)
                    .row("ID", "VERSION", "STATE", "IN-FLIGHT", "SERVED", "PLACEMENT", "POD");
            for (JsonNode i : r) {
                t.row(i.path("id").asText(), i.path("version").asInt(), i.path("state").asText(),
                        i.path("inFlight").asInt(), i.path("served").asLong(),
                        i.path("placement").asText(i.path("merged").asBoolean() ? "merged" : "dedicated"),
                        i.path("hostPod").asText("-"));
            }
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Make an earlier version live again (default: the previously live one).")
    static final class Rollback extends FnCommand.OfFunction {
        @Option(names = "--to", description = "version to make live")
        Integer to;

        @Override
        int execute() {
            JsonNode r = server.client().post("/api/v1/functions/" + name + "/rollback?" + server.ns(),
                    to == null ? Map.of() : Map.of("to", to));
            out().println(r.path("namespace").asText() + "/" + name + ": live version is now " + r.path("live").asInt());
            return 0;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Print a function's recent log lines.")
    static final class Logs extends FnCommand.OfFunction {
        @Option(names = "--limit", defaultValue = "100")
        int limit;
        @Option(names = "--invocation", description = "only lines of this invocation")
        String invocation;
        @Option(names = {"-f", "--follow"}, description = "keep printing new lines as they come, from every node "
                + "(reconnects where it stopped); Ctrl-C ends it")
        boolean follow;
        @Option(names = "--since", paramLabel = "WHEN", description = "only lines from then on: a duration back from "
                + "now (30s, 10m, 2h, 7d) or an RFC 3339 time")
        String since;
        @Mixin
        Output output;

        @Override
        int execute() {
            String filters = (invocation == null ? "" : "&invocation=" + URLEncoder.encode(invocation, StandardCharsets.UTF_8))
                    + (since == null ? "" : "&since=" + URLEncoder.encode(since, StandardCharsets.UTF_8));
            if (follow) {
                new LogFollower(server.client(), out()).run("/api/v1/logs?function=" + URLEncoder.encode(name,
                        StandardCharsets.UTF_8) + "&" + server.ns() + "&follow=true" + filters);
                return 0;
            }
            String q = "/api/v1/functions/" + name + "/logs?" + server.ns() + "&limit=" + limit + filters;
            JsonNode doc = server.client().get(q);
            if (output.printed(out(), doc)) {
                return 0;
            }
            Table t = new Table(out(), " ", 0, -5, 0, 0);
            for (JsonNode l : doc.path("logs")) {
                t.row(l.path("at").asText(), l.path("level").asText().toUpperCase(),
                        l.path("invocationId").asText().isEmpty() ? "[" + l.path("instance").asText() + "]"
                                : l.path("invocationId").asText(), l.path("text").asText());
            }
            return 0;
        }
    }

    @Command(name = "invocations", mixinStandardHelpOptions = true,
            description = "List a function's recent invocations on every node, newest first, with their phase timings.")
    static final class Invocations extends FnCommand.OfFunction {
        @Option(names = "--limit", defaultValue = "20", description = "how many (default: 20)")
        int limit;
        @Mixin
        Output output;

        @Override
        int execute() {
            JsonNode doc = server.client().get("/api/v1/invocations?function=" + URLEncoder.encode(name, StandardCharsets.UTF_8)
                    + "&" + server.ns() + "&limit=" + limit);
            if (output.printed(out(), doc)) {
                return 0;
            }
            JsonNode list = doc.path("invocations");
            Table t = new Table(out(), "  ", -24, -36, 7, 6, -4, 10, 0)
                    .row("STARTED", "ID", "VERSION", "STATUS", "COLD", "TOTAL (ms)", "PHASES (ms)");
            for (JsonNode i : list) {
                t.row(i.path("startedAt").asText(), i.path("id").asText(), i.path("version").asInt(),
                        i.path("status").asInt(), i.path("cold").asBoolean() ? "yes" : "no",
                        String.format(Locale.ROOT, "%.2f", i.path("durationMs").asDouble()), FnCommand.phases(i.path("phases")));
            }
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a function and all its versions.")
    static final class Delete extends FnCommand.OfFunction {
        @Override
        int execute() {
            server.client().json(server.client().request("/api/v1/functions/" + name + "?" + server.ns()).DELETE());
            out().println("Deleted " + server.namespace + "/" + name);
            return 0;
        }
    }
}
