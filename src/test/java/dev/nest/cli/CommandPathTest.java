package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.NestCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Which arguments take the fast path, and that a command on it behaves as in the whole tree. */
class CommandPathTest {
    private static boolean fast(String... args) {
        return CommandPath.leaf(NestCommand.class, args).isPresent();
    }

    @Test
    void leavesTakeTheFastPathEverythingElseTheWholeTree() {
        record Case(List<String> args, boolean fast) {
        }
        for (Case c : List.of(
                new Case(List.of("fn", "ls"), true),
                new Case(List.of("fn", "ls", "-A", "-o", "json"), true),
                new Case(List.of("fn", "dlq", "ls", "hello"), true),
                new Case(List.of("ns", "get", "shop"), true),
                new Case(List.of("completion", "bash"), true),
                new Case(List.of(), false),                       // the server
                new Case(List.of("--port", "9000"), false),       // the server with options
                new Case(List.of("fn"), false),                   // a command with subcommands: its usage
                new Case(List.of("fn", "dlq"), false),
                new Case(List.of("--help"), false),
                new Case(List.of("fn", "--help"), false),         // an option before the leaf
                new Case(List.of("fn", "nope"), false),           // not a subcommand: the whole tree's error
                new Case(List.of("nope"), false))) {
            assertEquals(c.fast(), fast(c.args().toArray(String[]::new)), c.args().toString());
        }
    }

    @Test
    void helpOnTheFastPathIsTheWholeTreesHelp() {
        String[] args = {"fn", "ls", "--help"};
        StringWriter fast = new StringWriter();
        CommandLine f = CommandPath.leaf(NestCommand.class, args).orElseThrow();
        f.setOut(new PrintWriter(fast));
        StringWriter whole = new StringWriter();
        CommandLine w = new CommandLine(new NestCommand());
        w.setOut(new PrintWriter(whole));
        assertEquals(0, f.execute(args));
        assertEquals(0, w.execute(args));
        assertEquals(whole.toString(), fast.toString());
        assertTrue(fast.toString().startsWith("Usage: nest fn ls "), fast.toString());
    }

    @Test
    void aBadOptionOnTheFastPathIsRefusedAsInTheWholeTree() {
        String[] args = {"fn", "versions"}; // the function's name is missing
        StringWriter fast = new StringWriter();
        CommandLine f = CommandPath.leaf(NestCommand.class, args).orElseThrow();
        f.setErr(new PrintWriter(fast));
        StringWriter whole = new StringWriter();
        CommandLine w = new CommandLine(new NestCommand());
        w.setErr(new PrintWriter(whole));
        assertEquals(2, f.execute(args));
        assertEquals(2, w.execute(args));
        assertEquals(whole.toString(), fast.toString());
    }

    @Test
    void completionReachedByTheFastPathCoversTheWholeTree() {
        String[] args = {"completion", "bash"};
        StringWriter out = new StringWriter();
        CommandLine f = CommandPath.leaf(NestCommand.class, args).orElseThrow();
        f.setOut(new PrintWriter(out));
        assertEquals(0, f.execute(args));
        String script = out.toString();
        assertTrue(script.contains("complete -F _complete_nest"), script.substring(0, Math.min(400, script.length())));
        for (String word : List.of("fn", "ls", "versions", "dlq", "redrive", "token", "--output", "json")) {
            assertTrue(script.contains(word), word);
        }
    }
}
