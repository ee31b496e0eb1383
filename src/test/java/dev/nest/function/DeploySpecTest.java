package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The spec's {@code deploy} key: values, default, errors and the canonical document. */
class DeploySpecTest {
    private static final SpecParser.Defaults STD = SpecParser.Defaults.STANDARD;

    private static JsonNode yaml(String text) {
        try {
            return Json.yaml().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static FunctionSpec parse(String extra) {
        return SpecParser.parse(yaml("name: hello\nruntime: nodejs\n" + extra), "hello.yaml", "", STD).spec();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("values")
    void readsEachModeAndDefaultsToAuto(String line, DeployMode expected) {
        assertEquals(expected, parse(line).deploy());
    }

    static Stream<Arguments> values() {
        return Stream.of(Arguments.of("", DeployMode.AUTO), Arguments.of("deploy: auto\n", DeployMode.AUTO),
                Arguments.of("deploy: merged\n", DeployMode.MERGED),
                Arguments.of("deploy: dedicated\n", DeployMode.DEDICATED),
                Arguments.of("deploy: Merged\n", DeployMode.MERGED), Arguments.of("deploy: null\n", DeployMode.AUTO));
    }

    @ParameterizedTest(name = "deploy: {0}")
    @MethodSource("bad")
    void aWrongValueNamesTheKeyTheValueAndWhatIsAllowed(String doc, String shown) {
        SpecException e = assertThrows(SpecException.class, () -> parse("deploy: " + doc + "\n"));
        assertEquals(1, e.problems().size());
        SpecProblem p = e.problems().getFirst();
        assertEquals("deploy", p.key());
        assertEquals(shown, p.value());
        assertTrue(p.allowed().startsWith("dedicated, merged or auto"), p.allowed());
    }

    static Stream<Arguments> bad() {
        return Stream.of(Arguments.of("shared", "shared"), Arguments.of("[merged]", "[\"merged\"]"),
                Arguments.of("1", "1"), Arguments.of("''", ""));
    }

    @Test
    void aModeSurvivesTheCanonicalDocumentAndAutoLeavesTheKeyOut() {
        FunctionSpec auto = parse("");
        assertTrue(SpecParser.write(auto).path("deploy").isMissingNode());
        for (DeployMode m : DeployMode.values()) {
            FunctionSpec spec = auto.withDeploy(m);
            assertEquals(spec, SpecParser.parse(SpecParser.write(spec), "stored", "", STD).spec());
        }
        assertEquals("merged", SpecParser.write(auto.withDeploy(DeployMode.MERGED)).path("deploy").asText());
    }
}
