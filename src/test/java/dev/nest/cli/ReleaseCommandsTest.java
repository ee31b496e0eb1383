package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** How the CLI reads the alias and release commands. */
class ReleaseCommandsTest {
    private static Object parse(String... args) {
        ParseResult r = new CommandLine(new FnCommand()).parseArgs(args);
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return r.commandSpec().userObject();
    }

    @Test
    void aliasSetTakesVersionsWithWeightsAndASticky() {
        AliasCommand.Set s = (AliasCommand.Set) parse("alias", "set", "hello", "beta", "1=90", "2=10", "--sticky",
                "header:X-User-Id", "-n", "team");
        assertEquals(List.of("hello", "beta", List.of("1=90", "2=10"), "header:X-User-Id", "team"),
                List.of(s.name, s.alias, s.versions, s.sticky, s.server.namespace));
        AliasCommand.Rm rm = (AliasCommand.Rm) parse("alias", "rm", "hello", "beta");
        assertEquals("beta", rm.alias);
        assertTrue(parse("alias", "ls", "hello") instanceof AliasCommand.Ls);
        assertThrows(CommandLine.ParameterException.class, () -> parse("alias", "set", "hello", "beta"));
    }

    @Test
    void releaseStartsWithToAndActsWithOneOfPauseResumeAbort() {
        ReleaseCommand r = (ReleaseCommand) parse("release", "hello", "--to", "3", "--steps", "10,50,100", "--interval",
                "2s", "--min-requests", "20");
        assertEquals(List.of(3, List.of(10, 50, 100), "2s", 20), List.of(r.action.to, r.steps, r.interval, r.minRequests));
        assertTrue(((ReleaseCommand) parse("release", "hello", "--abort")).action.abort);
        assertEquals(null, ((ReleaseCommand) parse("release", "hello")).action);
        assertThrows(CommandLine.ParameterException.class, () -> parse("release", "hello", "--pause", "--resume"));
        assertThrows(CommandLine.ParameterException.class, () -> parse("release", "hello", "--to", "3", "--abort"));
    }

    @Test
    void deployCanLeaveLiveWhereItIs() {
        assertTrue(((DeployCommand) parse("deploy", ".", "--no-promote")).noPromote);
    }
}
