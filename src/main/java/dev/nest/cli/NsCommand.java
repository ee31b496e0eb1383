package dev.nest.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * {@code nest ns ls|get|set}: namespaces' quotas and rate limits ({@code /api/v1/namespaces}). Reading needs a token
 * that reads the namespace; setting needs an admin token.
 */
@Command(name = "ns", mixinStandardHelpOptions = true, description = "Show and set namespace quotas and rate limits.",
        subcommands = {NsLsCommand.class, NsGetCommand.class, NsSetCommand.class})
public final class NsCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A quota or limit of a namespace view as text: its value, or {@code -} when none is set. */
    static String value(com.fasterxml.jackson.databind.JsonNode n) {
        return n.isMissingNode() || n.isNull() ? "-" : n.asText();
    }
}
