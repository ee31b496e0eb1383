package dev.nest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The server command's way in: which arguments skip picocli, and that they mean there what picocli makes of them. */
class NestCommandTest {
    /** What a server command's options came to: config, port, data, functions, runtimes. */
    private static List<Object> fields(NestCommand.Server s) {
        return Arrays.asList(s.config, s.port, s.data, s.functions, s.runtimes);
    }

    /** The server command as picocli parses {@code args} in the whole tree. */
    private static NestCommand.Server byPicocli(String... args) {
        CommandLine cl = new CommandLine(new NestCommand());
        CommandLine.ParseResult r = cl.parseArgs(args);
        return (NestCommand.Server) r.subcommand().commandSpec().userObject();
    }

    @Test
    void noCommandIsTheServerCommand() {
        record Case(List<String> args, List<String> expected) {
        }
        for (Case c : List.of(
                new Case(List.of(), List.of("server")),
                new Case(List.of("--port", "9000"), List.of("server", "--port", "9000")),
                new Case(List.of("--help"), List.of("--help")),
                new Case(List.of("--version"), List.of("--version")),
                new Case(List.of("-h"), List.of("-h")),
                new Case(List.of("fn", "ls"), List.of("fn", "ls")),
                new Case(List.of("server", "--port", "1"), List.of("server", "--port", "1")))) {
            assertArrayEquals(c.expected().toArray(), NestCommand.withDefaultCommand(c.args().toArray(String[]::new)),
                    c.args().toString());
        }
    }

    @Test
    void plainServerOptionsSkipPicocliAndMeanWhatPicocliReads() {
        List<List<String>> plain = List.of(
                List.of("server"),
                List.of("server", "--port", "0"),
                List.of("server", "--port", "8080", "--data", "d", "--functions", "f", "--runtimes", "/r"),
                List.of("server", "--config", "conf/nest.yaml", "--port", "123456789"),
                List.of("server", "--runtimes", "r", "--data", "/tmp/x y"));
        for (List<String> args : plain) {
            String[] a = args.toArray(String[]::new);
            Optional<NestCommand.Server> s = NestCommand.plainServer(a);
            assertEquals(true, s.isPresent(), args.toString());
            assertEquals(fields(byPicocli(a)), fields(s.get()), args.toString());
        }
        NestCommand.Server all = NestCommand.plainServer(new String[] {"server", "--config", "c.yaml", "--port", "9",
                "--data", "d", "--functions", "f", "--runtimes", "r"}).orElseThrow();
        assertEquals(Arrays.asList(Path.of("c.yaml"), 9, Path.of("d"), Path.of("f"), Path.of("r")), fields(all));
    }

    @Test
    void everythingElseIsLeftToPicocli() {
        for (List<String> args : List.of(
                List.<String>of(),
                List.of("fn", "ls"),
                List.of("--help"),
                List.of("server", "--help"),
                List.of("server", "-h"),
                List.of("server", "--version"),
                List.of("server", "--port"),                       // a missing value: picocli's error
                List.of("server", "--port=9000"),
                List.of("server", "--port", "010"),                // picocli's own reading of leading zeros
                List.of("server", "--port", "0x1F"),
                List.of("server", "--port", "-1"),
                List.of("server", "--port", "9999999999"),         // overflow: picocli's error
                List.of("server", "--port", "abc"),
                List.of("server", "--port", "1", "--port", "2"),   // repeated: picocli's error
                List.of("server", "--data", ""),
                List.of("server", "--data", "--port"),
                List.of("server", "@args.txt"),
                List.of("server", "--data", "@d"),
                List.of("server", "--data", "a\0b"),             // no path: picocli's error
                List.of("server", "--nope", "x"),
                List.of("server", "x", "y"),
                List.of("fn", "--port", "1"))) {
            assertEquals(Optional.empty(), NestCommand.plainServer(args.toArray(String[]::new)), args.toString());
        }
    }
}
