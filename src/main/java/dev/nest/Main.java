package dev.nest;

import dev.nest.cli.CommandPath;

/**
 * {@code java -jar nest.jar [command]}: no arguments starts the server. A command that names one leaf command
 * ({@code nest fn ls}) is run through {@link CommandPath}, which builds only that command's model.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(CommandPath.leaf(NestCommand.class, args).map(cl -> cl.execute(args))
                .orElseGet(() -> NestCommand.run(args)));
    }
}
