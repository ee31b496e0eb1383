package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The spec's {@code async:} block. */
class AsyncParserTest {
    private static final String BASE = "name: hello\nruntime: nodejs\n";

    private static FunctionSpec parse(String doc) {
        try {
            JsonNode tree = Json.yaml().readTree(doc);
            return SpecParser.parse(tree, "hello.yaml", "", SpecParser.Defaults.STANDARD).spec();
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void defaultsWhenLeftOut() {
        FunctionSpec s = parse(BASE);
        assertEquals(AsyncSpec.DEFAULT, s.async());
        assertEquals(2, s.async().retries());
        assertEquals(Duration.ofHours(6), s.async().maxAge());
        assertEquals(5, s.async().concurrency(s.scaling()), "half of scaling.max 10");
        assertEquals(1, s.async().concurrency(new ScalingSpec(0, 1, Duration.ofMinutes(1))), "at least 1");
    }

    @Test
    void readsEveryKeyAndWritesThemBack() {
        FunctionSpec s = parse(BASE + """
                async:
                  retries: 5
                  max-age: 10m
                  concurrency: 3
                  on-success: audit
                  on-failure: alarms
                """);
        assertEquals(new AsyncSpec(5, Duration.ofMinutes(10), 3, Optional.of("audit"), Optional.of("alarms")), s.async());
        assertEquals(3, s.async().concurrency(s.scaling()));
        assertEquals(s, SpecParser.parse(SpecParser.write(s), "written", "", SpecParser.Defaults.STANDARD).spec());
        assertTrue(!SpecParser.write(parse(BASE)).has("async"), "a default block is not written");
    }

    @Test
    void anHttpDestinationIsKeptForTheDeployToCheckAgainstTheAllowList() {
        AsyncSpec a = parse(BASE + "async:\n  on-failure: 'https://hooks.example.com/nest?x=1'\n").async();
        assertEquals(java.util.Optional.of("https://hooks.example.com/nest?x=1"), a.onFailure());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "retries: 11|async.retries|11|from 0 to 10",
            "retries: -1|async.retries|-1|from 0 to 10",
            "max-age: 59s|async.max-age|59s|",
            "max-age: 7h|async.max-age|7h|",
            "concurrency: -1|async.concurrency|-1|from 0 to",
            "on-success: Not A Name|async.on-success|Not A Name|or an http:// or https:// URL",
            "on-failure: https://user@hooks.example.com/x|async.on-failure|https://user@hooks.example.com/x|no user info",
            "retry: 3|async.retry||unknown key"})
    void refusesAMistakeNamingTheKey(String line, String key, String value, String allowed) {
        SpecException e = assertThrows(SpecException.class, () -> parse(BASE + "async:\n  " + line + "\n"));
        assertEquals(1, e.problems().size(), e.problems().toString());
        SpecProblem p = e.problems().getFirst();
        assertEquals(key, p.key());
        if (value != null) {
            assertEquals(value, p.value());
        }
        if (allowed != null) {
            assertTrue(p.allowed().contains(allowed), p.allowed());
        }
    }

    @Test
    void aBlockThatIsNotAMappingIsOneProblem() {
        SpecException e = assertThrows(SpecException.class, () -> parse(BASE + "async: yes\n"));
        assertEquals("async", e.problems().getFirst().key());
    }
}
