package dev.nest.cli;

import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The fast way into a command line of annotated picocli commands: when the arguments name one leaf command
 * ({@code nest fn ls ...}: every word up to the first option is a subcommand, and the last has no subcommands of its
 * own), only that command's model is built, under parents that are names alone. picocli otherwise builds the model of
 * every command of the tree, by reflection, before it parses a word; with forty commands that is most of a short
 * command's start-up.
 *
 * <p>The leaf parses, validates, prints help ({@code Usage: nest fn ls ...}, the parents' names qualify it) and runs
 * exactly as in the whole tree. Anything else, no words, an option before the leaf (the parents' own {@code --help}),
 * a word that is no subcommand, or a command with subcommands, is left to the whole tree ({@link #leaf} is empty).
 * A command that needs the whole tree (completion) rebuilds it from {@link #rootType}. Stateless.
 */
public final class CommandPath {
    private CommandPath() {
    }

    /**
     * A command line for {@code args} holding only the path to its leaf command, ready for
     * {@link CommandLine#execute}; empty when {@code args} do not name a leaf of {@code root}'s tree.
     *
     * @param root a class annotated with {@link Command}, the tree's root
     */
    public static Optional<CommandLine> leaf(Class<?> root, String[] args) {
        Command rootCommand = root.getAnnotation(Command.class);
        if (rootCommand == null) {
            return Optional.empty();
        }
        Class<?>[] path = new Class<?>[args.length + 1];
        String[] names = new String[args.length + 1];
        path[0] = root;
        names[0] = rootCommand.name();
        int depth = 0;
        while (depth < args.length) {
            Optional<Class<?>> next = subcommand(path[depth], args[depth]);
            if (next.isEmpty()) {
                break;
            }
            depth++;
            path[depth] = next.get();
            names[depth] = args[depth - 1];
        }
        if (depth == 0 || path[depth].getAnnotation(Command.class).subcommands().length > 0) {
            return Optional.empty();
        }
        CommandLine top = new CommandLine(CommandSpec.wrapWithoutInspection(root).name(names[0]));
        CommandLine parent = top;
        for (int i = 1; i < depth; i++) {
            CommandLine c = new CommandLine(CommandSpec.wrapWithoutInspection(path[i]).name(names[i]));
            parent.addSubcommand(names[i], c);
            parent = c;
        }
        parent.addSubcommand(names[depth], new CommandLine(path[depth]));
        return Optional.of(top);
    }

    /** The class of the root of {@code spec}'s tree, whichever way it was built. */
    static Class<?> rootType(CommandSpec spec) {
        Object root = spec.root().userObject();
        return root instanceof Class<?> c ? c : root.getClass();
    }

    /** The subcommand of {@code parent} called {@code word} (by name or alias); empty for an option or no match. */
    private static Optional<Class<?>> subcommand(Class<?> parent, String word) {
        if (word.startsWith("-")) {
            return Optional.empty();
        }
        for (Class<?> sub : parent.getAnnotation(Command.class).subcommands()) {
            Command c = sub.getAnnotation(Command.class);
            if (c == null) {
                return Optional.empty(); // not annotated: only the whole tree knows its name
            }
            if (c.name().equals(word) || java.util.Arrays.asList(c.aliases()).contains(word)) {
                return Optional.of(sub);
            }
        }
        return Optional.empty();
    }
}
