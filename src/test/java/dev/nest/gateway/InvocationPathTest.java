package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class InvocationPathTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # target                         | namespace | name  | prefix               | rest
            /fn/hello                        | default   | hello | /fn/hello            | /
            /fn/hello/                       | default   | hello | /fn/hello            | /
            /fn/hello?x=1&y=2                | default   | hello | /fn/hello            | /?x=1&y=2
            /fn/hello/a/b?x=1                | default   | hello | /fn/hello            | /a/b?x=1
            /fn/hello?                       | default   | hello | /fn/hello            | /
            /ns/team/fn/hello                | team      | hello | /ns/team/fn/hello    | /
            /ns/team/fn/hello/deep/path?q=/x | team      | hello | /ns/team/fn/hello    | /deep/path?q=/x
            """)
    void splitsAnInvocationTarget(String target, String namespace, String name, String prefix, String rest) {
        InvocationPath p = InvocationPath.of(target).orElseThrow();
        assertEquals(namespace, p.namespace());
        assertEquals(name, p.name());
        assertEquals(prefix, p.prefix());
        assertEquals(rest, p.rest());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/health", "/api/v1/functions", "/fn", "/fnx/hello", "/ns/team", "/ns/team/hello",
            "/api/v1/functions?next=/fn/x", "/ns/?x=/fn/"})
    void leavesEveryOtherTargetToTheAdminServer(String target) {
        assertTrue(InvocationPath.of(target).isEmpty(), target);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/fn/", "/fn//x", "/ns//fn/x", "/ns/team/fn/", "/ns/a/b/fn/x", "/ns/team/fnx/y"})
    void namesNoFunctionWithAnEmptyOrExtraSegment(String target) {
        assertTrue(InvocationPath.of(target).isEmpty(), target);
        assertTrue(InvocationPath.underInvocations(target), target);
    }

    @org.junit.jupiter.api.Test
    void pathsUnderTheInvocationPrefixesAreNotTheAdminServers() {
        for (String t : new String[] {"/fn", "/fn?x=1", "/ns", "/ns/team-a", "/ns//fn", "/fn/"}) {
            org.junit.jupiter.api.Assertions.assertTrue(InvocationPath.underInvocations(t), t);
        }
        for (String t : new String[] {"/", "/api/v1/functions", "/health", "/fnx", "/nsx"}) {
            org.junit.jupiter.api.Assertions.assertFalse(InvocationPath.underInvocations(t), t);
        }
    }

    @org.junit.jupiter.api.Test
    void aQuotedPathIsPrintableAndBounded() {
        org.junit.jupiter.api.Assertions.assertEquals("/ns/a?b", InvocationPath.shown("/ns/a\u0001b?q=1"));
        org.junit.jupiter.api.Assertions.assertEquals(203, InvocationPath.shown("/" + "x".repeat(500)).length());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NONE", textBlock = """
            # target                      | name      | qualifier | rest
            /fn/hello@2/a?x=@y            | hello     | 2         | /a?x=@y
            /fn/hello@beta                | hello     | beta      | /
            /ns/team/fn/hello@live/x      | hello     | live      | /x
            /fn/hello@                    | hello     | ''        | /
            /fn/hello@a@b/c               | hello     | a@b       | /c
            /fn/@2                        | ''        | 2         | /
            /fn/hello%402/x               | hello%402 | NONE      | /x
            /fn/hello/a@2                 | hello     | NONE      | /a@2
            /fn/hello@../../admin         | hello     | ..        | /../admin
            """)
    void cutsTheQualifierOutOfTheNameSegmentOnly(String target, String name, String qualifier, String rest) {
        InvocationPath p = InvocationPath.of(target).orElseThrow();
        assertEquals(name, p.name());
        assertEquals(java.util.Optional.ofNullable(qualifier), p.qualifier());
        assertEquals(rest, p.rest());
    }
}
