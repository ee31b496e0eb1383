package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nest fn dlq ls NAME} and {@code nest fn dlq redrive NAME --id ID | --all}: a function's dead letters (async
 * invocations that failed on every try, on the node the CLI talks to) and sending them again. Listing needs a token
 * that may read logs of the namespace; redriving one that may deploy to it.
 */
@Command(name = "dlq", mixinStandardHelpOptions = true,
        description = "A function's dead letters: async invocations that failed for good.",
        subcommands = {DlqCommand.Ls.class, DlqCommand.Redrive.class})
final class DlqCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List a function's dead letters, newest first.")
    static final class Ls extends FnCommand.OfFunction {
        @Option(names = "--limit", defaultValue = "100", description = "how many (default: 100)")
        int limit;
        @picocli.CommandLine.Mixin
        Output output;

        @Override
        int execute() {
            JsonNode doc = server.client().get("/api/v1/functions/" + name + "/dead-letters?" + server.ns()
                    + "&limit=" + limit);
            if (output.printed(out(), doc)) {
                return 0;
            }
            JsonNode list = doc.path("deadLetters");
            Table t = new Table(out(), "  ", -36, 8, 6, -24, 0).row("ID", "ATTEMPTS", "STATUS", "FAILED", "ERROR");
            for (JsonNode d : list) {
                t.row(d.path("id").asText(), d.path("attempt").asInt(), d.path("status").asText("-"),
                        d.path("finishedAt").asText("-"), d.path("lastError").asText(""));
            }
            return 0;
        }
    }

    @Command(name = "redrive", mixinStandardHelpOptions = true,
            description = "Send dead letters again: one (--id) or every one of the function (--all).")
    static final class Redrive extends FnCommand.OfFunction {
        /** Exactly one of {@code --id} and {@code --all}. */
        static final class Which {
            @Option(names = "--id", required = true, description = "the dead letter's invocation id")
            String id;
            @Option(names = "--all", required = true, description = "every dead letter of the function")
            boolean all;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        Which which;

        @Override
        int execute() {
            JsonNode r = server.client().post("/api/v1/functions/" + name + "/dead-letters/redrive?" + server.ns(),
                    which.all ? Map.of("all", true) : Map.of("id", which.id));
            int n = r.path("redriven").asInt();
            out().println(r.path("function").asText(server.namespace + "/" + name) + ": " + n + " dead letter"
                    + (n == 1 ? "" : "s") + " sent again");
            return 0;
        }
    }
}
