package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code nest fn ...}: manage and call functions on a Nest server. Each command is a class of its own
 * ({@link InitCommand}, {@link DeployCommand}, {@link InvokeCommand}, {@link DlqCommand}, {@link AliasCommand},
 * {@link ReleaseCommand}, and the small ones in
 * {@link FunctionCommands});
 * this class holds what they share: the server options and the base that turns a {@link CliException} into exit
 * code 1.
 */
@Command(name = "fn", mixinStandardHelpOptions = true, description = "Manage and invoke functions.",
        subcommands = {InitCommand.class, DeployCommand.class, InvokeCommand.class, FunctionCommands.Ls.class,
                ReportCommand.class,
                FunctionCommands.Versions.class, FunctionCommands.Instances.class, FunctionCommands.Rollback.class, FunctionCommands.Logs.class,
                FunctionCommands.Invocations.class, FunctionCommands.Delete.class, DlqCommand.class, AliasCommand.class,
                ReleaseCommand.class, TriggersCommand.class})
public final class FnCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every command about functions shares: the server, the token and the namespace. */
    static final class Server extends Remote {
        @Option(names = {"-n", "--namespace"}, description = "namespace (default: default)", defaultValue = "default")
        String namespace;

        String ns() {
            return "namespace=" + URLEncoder.encode(namespace, StandardCharsets.UTF_8);
        }
    }

    /** Base of commands: turns {@link CliException} into exit code 1 and a message. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public final Integer call() {
            try {
                return execute();
            } catch (CliException e) {
                spec.commandLine().getErr().println("error: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return 1;
            } finally {
                out().flush();
            }
        }

        abstract int execute();
    }

    /** Base of the commands about one function: its name first, and the server options. */
    abstract static class OfFunction extends Base {
        @Parameters(index = "0", description = "function name")
        String name;
        @Mixin
        Server server;
    }

    /**
     * An invocation's phases as {@code name=ms} in the record's order; when the code was fetched, a note that
     * {@code fetch}, {@code decompress} and {@code unpack} overlap (they run pipelined, chunk by chunk).
     */
    static String phases(JsonNode phases) {
        StringBuilder sb = new StringBuilder();
        phases.fields().forEachRemaining(e -> sb.append(sb.isEmpty() ? "" : " ")
                .append(String.format(java.util.Locale.ROOT, "%s=%.2f", e.getKey(), e.getValue().asDouble())));
        if (phases.has("fetch")) {
            sb.append(" (fetch, decompress and unpack overlap)");
        }
        return sb.toString();
    }
}
