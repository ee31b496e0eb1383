package dev.nest.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code nest fn init NAME --runtime nodejs|java}: writes a working function template. */
@Command(name = "init", mixinStandardHelpOptions = true, description = "Write a working function template into directory NAME.")
final class InitCommand extends FnCommand.Base {
    @Parameters(index = "0", description = "function name (also the directory)")
    String name;
    @Option(names = "--runtime", required = true, description = "nodejs or java")
    String runtime;

    @Override
    int execute() {
        if (!dev.nest.function.FunctionId.LABEL.matcher(name).matches()) {
            throw new CliException("'" + name + "' is not a valid function name: use " + dev.nest.function.FunctionId.LABEL_RULE);
        }
        Path dir = Path.of(name);
        if (Files.exists(dir)) {
            throw new CliException(dir.toAbsolutePath() + " already exists; choose another name or remove it");
        }
        try {
            Files.createDirectories(dir);
            switch (runtime) {
                case "nodejs" -> {
                    Files.writeString(dir.resolve("function.yaml"), Templates.nodeYaml(name));
                    Files.writeString(dir.resolve("index.js"), Templates.NODE_HANDLER);
                }
                case "java" -> {
                    Files.writeString(dir.resolve("function.yaml"), Templates.javaYaml(name));
                    Files.writeString(dir.resolve("Handler.java"), Templates.JAVA_HANDLER);
                }
                default -> throw new CliException("--runtime '" + runtime + "' is not known to init; use nodejs or java");
            }
        } catch (IOException e) {
            throw new CliException("cannot write " + dir + ": " + e.getMessage());
        }
        out().println("Created " + dir + "/ (" + runtime + "). Deploy it with: nest fn deploy " + dir);
        return 0;
    }
}
