package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.common.Json;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** How the CLI reads its commands and prints an invocation's phases. */
class FnCommandTest {
    @Test
    void phasesArePrintedInTheRecordsOrder() {
        assertEquals("queue=0.10 pool=0.02 load=4.00 exec=1.25",
                FnCommand.phases(Json.tree("{\"queue\":0.1,\"pool\":0.02,\"load\":4,\"exec\":1.25}".getBytes(), "phases")));
    }

    @Test
    void aFetchSaysItsStagesOverlap() {
        assertEquals("queue=0.10 pool=0.02 fetch=40.00 decompress=12.50 unpack=30.00 load=4.00 exec=1.00"
                        + " (fetch, decompress and unpack overlap)",
                FnCommand.phases(Json.tree(("{\"queue\":0.1,\"pool\":0.02,\"fetch\":40,\"decompress\":12.5,\"unpack\":30,"
                        + "\"load\":4,\"exec\":1}").getBytes(), "phases")));
    }

    @Test
    void noPhasesPrintNothing() {
        assertEquals("", FnCommand.phases(Json.tree("{}".getBytes(), "phases")));
    }

    @Test
    void everyCommandAboutOneFunctionTakesItsNameAndTheServerOptions() {
        for (String command : List.of("invoke", "versions", "rollback", "logs", "invocations", "delete")) {
            ParseResult r = new CommandLine(new FnCommand()).parseArgs(command, "hello", "-n", "team", "--server", "http://h:1");
            FnCommand.OfFunction c = (FnCommand.OfFunction) r.subcommand().commandSpec().userObject();
            assertEquals(List.of("hello", "team", "http://h:1"), List.of(c.name, c.server.namespace, c.server.server), command);
        }
    }
}
