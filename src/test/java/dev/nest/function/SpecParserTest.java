package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import dev.nest.common.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SpecParserTest {
    private static final SpecParser.Defaults STD = SpecParser.Defaults.STANDARD;

    private static JsonNode yaml(String text) {
        try {
            return Json.yaml().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("test YAML does not parse: " + text, e);
        }
    }

    private static JsonNode json(String text) {
        try {
            return Json.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("test JSON does not parse: " + text, e);
        }
    }

    private static FunctionSpec spec(String ns, String name, String runtime, String handler, int memory, Duration timeout,
                                     int concurrency, Map<String, String> env, ScalingSpec scaling, QueueSpec queue) {
        return new FunctionSpec(new FunctionId(ns, name), runtime, handler, memory, timeout, concurrency, env, scaling,
                queue);
    }

    private static FunctionSpec minimal(String name, String runtime) {
        return spec("default", name, runtime, "", 128, Duration.ofSeconds(30), 1, Map.of(), ScalingSpec.DEFAULT,
                QueueSpec.DEFAULT);
    }

    // ---- valid documents -------------------------------------------------------------------------------

    static Stream<Arguments> validYaml() {
        return Stream.of(
                Arguments.of("minimal: defaults for every optional key", """
                        name: hello
                        runtime: nodejs
                        """, "", STD, minimal("hello", "nodejs")),
                Arguments.of("every key", """
                        name: greeter
                        namespace: team-a
                        runtime: java
                        handler: com.example.Greeter
                        memory: 256
                        timeout: 2m
                        concurrency: 8
                        code: ./src
                        description: says hi
                        env:
                          GREETING: hi
                          COUNT: 3
                          FLAG: true
                          EMPTY: ~
                          _under_score9: x
                        scaling:
                          min: 1
                          max: 5
                          keep-alive: 30s
                        queue:
                          size: 10
                          timeout: 500ms
                        """, "", STD,
                        spec("team-a", "greeter", "java", "com.example.Greeter", 256, Duration.ofMinutes(2), 8,
                                Map.of("GREETING", "hi", "COUNT", "3", "FLAG", "true", "EMPTY", "", "_under_score9", "x"),
                                new ScalingSpec(1, 5, Duration.ofSeconds(30)), new QueueSpec(10, Duration.ofMillis(500)))),
                Arguments.of("numbers written as strings", """
                        name: hello
                        runtime: nodejs
                        memory: "512"
                        concurrency: "4"
                        """, "", STD, spec("default", "hello", "nodejs", "", 512, Duration.ofSeconds(30), 4, Map.of(),
                        ScalingSpec.DEFAULT, QueueSpec.DEFAULT)),
                Arguments.of("name from the file when the document has none", """
                        runtime: nodejs
                        """, "from-file", STD, minimal("from-file", "nodejs")),
                Arguments.of("the document's name wins over the file's", """
                        name: inside
                        runtime: nodejs
                        """, "from-file", STD, minimal("inside", "nodejs")),
                Arguments.of("values are trimmed", """
                        name: " hello "
                        runtime: " nodejs "
                        """, "", STD, minimal("hello", "nodejs")),
                Arguments.of("scaling.min above the default max raises max to min", """
                        name: big
                        runtime: nodejs
                        scaling:
                          min: 20
                        """, "", STD, spec("default", "big", "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(),
                        new ScalingSpec(20, 20, Duration.ofMinutes(10)), QueueSpec.DEFAULT)),
                Arguments.of("partial scaling keeps the other defaults", """
                        name: small
                        runtime: nodejs
                        scaling:
                          max: 3
                        """, "", STD, spec("default", "small", "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(),
                        new ScalingSpec(0, 3, Duration.ofMinutes(10)), QueueSpec.DEFAULT)),
                Arguments.of("partial queue keeps the other default", """
                        name: q
                        runtime: nodejs
                        queue:
                          timeout: 1m
                        """, "", STD, spec("default", "q", "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(),
                        ScalingSpec.DEFAULT, new QueueSpec(1000, Duration.ofMinutes(1)))),
                Arguments.of("null sections and values mean the defaults", """
                        name: nulls
                        runtime: nodejs
                        memory: ~
                        env: ~
                        scaling: ~
                        queue: ~
                        """, "", STD, minimal("nulls", "nodejs")),
                Arguments.of("lower bounds", """
                        name: low
                        runtime: nodejs
                        memory: 16
                        timeout: 1ms
                        concurrency: 1
                        scaling: {min: 0, max: 1, keep-alive: 1s}
                        queue: {size: 0, timeout: 0s}
                        """, "", STD, spec("default", "low", "nodejs", "", 16, Duration.ofMillis(1), 1, Map.of(),
                        new ScalingSpec(0, 1, Duration.ofSeconds(1)), new QueueSpec(0, Duration.ZERO))),
                Arguments.of("upper bounds", """
                        name: high
                        runtime: nodejs
                        memory: 32768
                        timeout: 1h
                        concurrency: 1000
                        scaling: {min: 10000, max: 10000, keep-alive: 1d}
                        queue: {size: 100000, timeout: 1h}
                        """, "", STD, spec("default", "high", "nodejs", "", 32768, Duration.ofHours(1), 1000, Map.of(),
                        new ScalingSpec(10000, 10000, Duration.ofDays(1)), new QueueSpec(100000, Duration.ofHours(1)))),
                Arguments.of("other defaults for keys left out", """
                        name: custom
                        runtime: python
                        """, "", new SpecParser.Defaults(256, Duration.ofSeconds(10), 4),
                        spec("default", "custom", "python", "", 256, Duration.ofSeconds(10), 4, Map.of(),
                                ScalingSpec.DEFAULT, QueueSpec.DEFAULT)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validYaml")
    void parsesValidYaml(String what, String doc, String defaultName, SpecParser.Defaults defaults,
                         FunctionSpec expected) {
        assertEquals(expected, SpecParser.parse(yaml(doc), "test.yaml", defaultName, defaults).spec());
    }

    @Test
    void keepsCodeAndDescriptionBesideTheSpec() {
        SpecParser.Parsed p = SpecParser.parse(yaml("""
                name: hello
                runtime: nodejs
                code: ./hello
                description: "Says hello"
                """), "hello.yaml", "", STD);
        assertEquals(Optional.of("./hello"), p.code());
        assertEquals("Says hello", p.description());

        SpecParser.Parsed none = SpecParser.parse(yaml("name: hello\nruntime: nodejs\n"), "hello.yaml", "", STD);
        assertEquals(Optional.empty(), none.code());
        assertEquals("", none.description());
    }

    @Test
    void parsesJsonToo() {
        FunctionSpec s = SpecParser.parse(json("""
                {"name": "j", "namespace": "ns", "runtime": "nodejs", "timeout": "1.5s", "memory": 64,
                 "env": {"A": "1"}, "scaling": {"min": 2, "max": 4, "keep-alive": "1m"}, "queue": {"size": 7}}
                """), "request body", "", STD).spec();
        assertEquals(spec("ns", "j", "nodejs", "", 64, Duration.ofMillis(1500), 1, Map.of("A", "1"),
                new ScalingSpec(2, 4, Duration.ofMinutes(1)), new QueueSpec(7, Duration.ofSeconds(30))), s);
    }

    // ---- invalid documents: one problem each -----------------------------------------------------------

    /** A document with exactly one mistake, and the problem it must produce. */
    static Stream<Arguments> invalidYaml() {
        String base = "name: hello\nruntime: nodejs\n";
        return Stream.of(
                Arguments.of(base + "memory: abc\n", "memory", "abc", "from 16 to 32768"),
                Arguments.of(base + "memory: 99999\n", "memory", "99999", "from 16 to 32768"),
                Arguments.of(base + "memory: 15\n", "memory", "15", "from 16 to 32768"),
                Arguments.of(base + "memory: -128\n", "memory", "-128", "from 16 to 32768"),
                Arguments.of(base + "memory: 12.5\n", "memory", "12.5", "an integer number of MiB"),
                Arguments.of(base + "memory: 128Mi\n", "memory", "128Mi", "an integer number of MiB"),
                Arguments.of(base + "timeout: 5 parsecs\n", "timeout", "5 parsecs", Durations.ALLOWED),
                Arguments.of(base + "timeout: 5 parsecs\n", "timeout", "5 parsecs", "from 1ms to 1h"),
                Arguments.of(base + "timeout: 30\n", "timeout", "30", "from 1ms to 1h"),
                Arguments.of(base + "timeout: 2h\n", "timeout", "2h", "from 1ms to 1h"),
                Arguments.of(base + "timeout: 0s\n", "timeout", "0s", "from 1ms to 1h"),
                Arguments.of(base + "concurrency: 0\n", "concurrency", "0", "from 1 to 1000"),
                Arguments.of(base + "concurrency: 1001\n", "concurrency", "1001", "from 1 to 1000"),
                Arguments.of(base + "scaling:\n  min: 5\n  max: 2\n", "scaling.max", "2", "at least scaling.min (5)"),
                Arguments.of(base + "scaling:\n  min: -1\n", "scaling.min", "-1", "from 0 to 10000"),
                Arguments.of(base + "scaling:\n  max: 0\n", "scaling.max", "0", "from 1 to 10000"),
                Arguments.of(base + "scaling:\n  max: 10001\n", "scaling.max", "10001", "from 1 to 10000"),
                Arguments.of(base + "scaling:\n  keep-alive: 0s\n", "scaling.keep-alive", "0s", "from 1s to 1d"),
                Arguments.of(base + "scaling:\n  keep-alive: forever\n", "scaling.keep-alive", "forever", Durations.ALLOWED),
                Arguments.of(base + "scaling: fast\n", "scaling", "fast", "a mapping with keys keep-alive, keep-alive-policy, max"),
                Arguments.of(base + "scaling:\n  maxx: 3\n", "scaling.maxx", null, "keep-alive, keep-alive-policy, max, max-scale-down-step, metrics, min"),
                Arguments.of(base + "queue:\n  size: -1\n", "queue.size", "-1", "from 0 to 100000"),
                Arguments.of(base + "queue:\n  timeout: 2h\n", "queue.timeout", "2h", "from 0ms to 1h"),
                Arguments.of(base + "queue: 5\n", "queue", "5", "a mapping with size, timeout"),
                Arguments.of(base + "queue:\n  length: 5\n", "queue.length", null, "size, timeout"),
                Arguments.of(base + "memroy: 256\n", "memroy", null, "allowed keys here are"),
                Arguments.of(base + "memroy: 256\n", "memroy", null, "memory"),
                Arguments.of(base + "env:\n  NEST_X: 1\n", "env.NEST_X", null, "reserved for Nest"),
                Arguments.of(base + "env:\n  1BAD: 1\n", "env.1BAD", null, "letters, digits and '_'"),
                Arguments.of(base + "env:\n  BAD-NAME: 1\n", "env.BAD-NAME", null, "letters, digits and '_'"),
                Arguments.of(base + "env:\n  NESTED:\n    a: 1\n", "env.NESTED", "{\"a\":1}", "a string, number or boolean"),
                Arguments.of(base + "env: plain\n", "env", "plain", "a mapping of NAME: value"),
                Arguments.of("name: Hello_World\nruntime: nodejs\n", "name", "Hello_World", FunctionId.LABEL_RULE),
                Arguments.of("name: -hello\nruntime: nodejs\n", "name", "-hello", FunctionId.LABEL_RULE),
                Arguments.of("name: " + "a".repeat(64) + "\nruntime: nodejs\n", "name", "a".repeat(64), FunctionId.LABEL_RULE),
                Arguments.of(base + "handler: [a, b]\n", "handler", "[\"a\",\"b\"]", "a string"),
                Arguments.of("runtime: nodejs\n", "name", null, "required"),
                Arguments.of("name: hello\n", "runtime", null, "required"),
                Arguments.of("name: hello\nruntime: Node JS\n", "runtime", "Node JS", "a runtime name"),
                Arguments.of("name: hello\nnamespace: Team\nruntime: nodejs\n", "namespace", "Team", FunctionId.LABEL_RULE),
                Arguments.of(base + "handler: \"" + "h".repeat(257) + "\"\n", "handler", "h".repeat(257), "a handler"),
                Arguments.of(base + "handler: /etc/passwd\n", "handler", "/etc/passwd", "a handler"),
                Arguments.of("- name: hello\n- runtime: nodejs\n", "(document)", "array", "a mapping"));
    }

    @ParameterizedTest(name = "[{index}] {1}={2}")
    @MethodSource("invalidYaml")
    void refusesAMistakeNamingKeyValueAndAllowedRange(String doc, String key, String value, String allowed) {
        SpecException e = assertThrows(SpecException.class,
                () -> SpecParser.parse(yaml(doc), "hello.yaml", "", STD));
        assertEquals(400, e.status());
        assertEquals("hello.yaml", e.source());
        assertEquals(1, e.problems().size(), "exactly one problem: " + e.problems());
        SpecProblem p = e.problems().getFirst();
        assertEquals(key, p.key());
        assertEquals(value, p.value());
        assertTrue(p.allowed().contains(allowed), "allowed names '" + allowed + "': " + p.allowed());
        // what the user reads says it all too
        assertTrue(e.getMessage().startsWith("hello.yaml: "), e.getMessage());
        assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        if (value != null) {
            assertTrue(e.getMessage().contains("'" + value + "'"), e.getMessage());
        }
        assertTrue(e.getMessage().contains(allowed), e.getMessage());
    }

    @Test
    void reportsEveryProblemOfADocumentAtOnce() {
        SpecException e = assertThrows(SpecException.class, () -> SpecParser.parse(yaml("""
                name: Hello_World
                memroy: 256
                memory: abc
                timeout: 5 parsecs
                concurrency: 0
                env:
                  NEST_X: 1
                scaling:
                  min: 5
                  max: 2
                queue:
                  size: -1
                """), "bad.yaml", "", STD));
        Map<String, String> byKey = e.problems().stream()
                .collect(Collectors.toMap(SpecProblem::key, p -> String.valueOf(p.value())));
        assertEquals(Map.of(
                "memroy", "null",
                "name", "Hello_World",
                "runtime", "null",
                "memory", "abc",
                "timeout", "5 parsecs",
                "concurrency", "0",
                "env.NEST_X", "null",
                "scaling.max", "2",
                "queue.size", "-1"), byKey);
        for (SpecProblem p : e.problems()) {
            assertTrue(e.getMessage().contains(p.toString()), "message lists " + p + ": " + e.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("containerValues")
    void aListOrMappingInTheWrongPlaceIsQuotedInTheProblem(String doc, String key, String value) {
        SpecException e = assertThrows(SpecException.class,
                () -> SpecParser.parse(yaml("name: hello\nruntime: nodejs\n" + doc), "hello.yaml", "", STD));
        assertEquals(List.of(new SpecProblem(key, value, e.problems().getFirst().allowed())), e.problems());
    }

    static Stream<Arguments> containerValues() {
        return Stream.of(
                Arguments.of("env: [A, B]\n", "env", "[\"A\",\"B\"]"),
                Arguments.of("memory: [1]\n", "memory", "[1]"),
                Arguments.of("timeout: {s: 1}\n", "timeout", "{\"s\":1}"),
                Arguments.of("scaling: [1, 2]\n", "scaling", "[1,2]"),
                Arguments.of("queue: [1]\n", "queue", "[1]"));
    }
    @Test
    void aNameThatIsNotAStringIsOneProblem() {
        SpecException e = assertThrows(SpecException.class,
                () -> SpecParser.parse(yaml("name: [a, b]\nruntime: nodejs\n"), "hello.yaml", "", STD));
        assertEquals(List.of(new SpecProblem("name", "[\"a\",\"b\"]", "a string")), e.problems());
    }

    @Test
    void authDefaultsToPublicAndReadsToken() {
        assertEquals(InvocationAuth.PUBLIC,
                SpecParser.parse(yaml("name: hello\nruntime: nodejs\n"), "hello.yaml", "", STD).spec().auth());
        assertEquals(InvocationAuth.TOKEN,
                SpecParser.parse(yaml("name: hello\nruntime: nodejs\nauth: token\n"), "hello.yaml", "", STD).spec().auth());
        assertEquals(InvocationAuth.PUBLIC,
                SpecParser.parse(yaml("name: hello\nruntime: nodejs\nauth: public\n"), "hello.yaml", "", STD).spec().auth());
    }

    @ParameterizedTest(name = "auth: {0}")
    @MethodSource("badAuth")
    void anUnknownAuthNamesTheKeyTheValueAndWhatIsAllowed(String doc, String shown) {
        SpecException e = assertThrows(SpecException.class,
                () -> SpecParser.parse(yaml("name: hello\nruntime: nodejs\nauth: " + doc + "\n"), "hello.yaml", "", STD));
        assertEquals(1, e.problems().size());
        SpecProblem p = e.problems().getFirst();
        assertEquals("auth", p.key());
        assertEquals(shown, p.value());
        assertTrue(p.allowed().startsWith("public or token"), p.allowed());
    }

    static Stream<Arguments> badAuth() {
        return Stream.of(Arguments.of("private", "private"), Arguments.of("[token]", "[\"token\"]"),
                Arguments.of("true", "true"));
    }

    @Test
    void aTokenSpecSurvivesTheCanonicalDocumentAndAPublicOneLeavesTheKeyOut() {
        FunctionSpec token = minimal("hello", "nodejs").withAuth(InvocationAuth.TOKEN);
        assertEquals("token", SpecParser.write(token).path("auth").asText());
        assertEquals(token, SpecParser.parse(SpecParser.write(token), "stored", "", STD).spec());
        assertTrue(SpecParser.write(minimal("hello", "nodejs")).path("auth").isMissingNode());
    }

    @Test
    void aMissingDocumentIsOneProblem() {
        SpecException e = assertThrows(SpecException.class, () -> SpecParser.parse(null, "body", "", STD));
        assertEquals(List.of("(document)"), e.problems().stream().map(SpecProblem::key).toList());
        assertNull(e.problems().getFirst().value());
    }

    // ---- round trip ------------------------------------------------------------------------------------

    static Stream<FunctionSpec> specs() {
        return Stream.of(
                minimal("hello", "nodejs"),
                spec("team-a", "greeter", "java", "com.example.Greeter", 256, Duration.ofMinutes(2), 8,
                        Map.of("GREETING", "hi", "COUNT", "3", "EMPTY", ""),
                        new ScalingSpec(1, 5, Duration.ofSeconds(30)), new QueueSpec(10, Duration.ofMillis(500))),
                spec("default", "odd-times", "nodejs", "index.handler", 16, Duration.ofMillis(1500), 1000, Map.of(),
                        new ScalingSpec(0, 1, Duration.ofSeconds(90)), new QueueSpec(0, Duration.ZERO)),
                spec("x", "big", "python", "", 32768, Duration.ofHours(1), 3, Map.of("A_1", "with spaces and: colons"),
                        new ScalingSpec(10000, 10000, Duration.ofDays(1)), new QueueSpec(100000, Duration.ofHours(1))));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void writeParsesBackToAnEqualSpec(FunctionSpec spec) {
        ObjectNode doc = SpecParser.write(spec);
        assertEquals(spec, SpecParser.parse(doc, "written", "", STD).spec());
        // also through text, as stored in ZooKeeper or in a file
        assertEquals(spec, SpecParser.parse(json(Json.string(doc)), "written", "", STD).spec());
        assertEquals(spec, SpecParser.parse(yaml(yamlText(doc)), "written", "", STD).spec());
    }

    @ParameterizedTest
    @MethodSource("specs")
    void writtenDocumentDoesNotDependOnTheDefaults(FunctionSpec spec) {
        SpecParser.Defaults other = new SpecParser.Defaults(1024, Duration.ofMinutes(5), 50);
        assertEquals(spec, SpecParser.parse(SpecParser.write(spec), "written", "", other).spec());
    }

    @Test
    void writeRoundTripsSubMillisecondTimeouts() {
        FunctionSpec s = SpecParser.parse(yaml("name: a\nruntime: nodejs\ntimeout: 1.0005s\n"), "t", "", STD).spec();
        assertEquals(s, SpecParser.parse(SpecParser.write(s), "written", "", STD).spec());
    }

    private static String yamlText(JsonNode doc) {
        try {
            return Json.yaml().writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
