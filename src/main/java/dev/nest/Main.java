package dev.nest;

import dev.nest.cli.CommandPath;

/**
 * {@code java -jar nest.jar [command]}: no arguments starts the server. A command that names one leaf command
 * ({@code nest fn ls}, and {@code nest server}, which no arguments or server options alone mean) is run through
 * {@link CommandPath}, which builds only that command's model; the server command with plain options alone is run
 * without picocli ({@link NestCommand#plainServer}).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        String[] line = NestCommand.withDefaultCommand(args); // no command is the server command, on the same fast way
        java.util.Optional<NestCommand.Server> server = NestCommand.plainServer(line);
        if (server.isPresent()) {
            dev.nest.aot.SelfAotCache.reexecIfCached(); // same process with the JDK's AOT cache, when one exists (ADR 0033)
        }
        System.exit(server.isPresent() ? runServer(server.get())
                : CommandPath.leaf(NestCommand.class, line).map(cl -> cl.execute(line)).orElseGet(() -> NestCommand.run(line)));
    }

    /** The server command, failing as picocli's execution does: the stack trace on stderr and exit code 1. */
    private static int runServer(NestCommand.Server server) {
        try {
            return server.call();
        } catch (RuntimeException | Error e) {
            e.printStackTrace();
            return 1;
        }
    }
}
