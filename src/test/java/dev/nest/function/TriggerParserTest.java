package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TriggerParserTest {
    private static JsonNode yaml(String text) {
        try {
            return Json.yaml().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static FunctionSpec parse(String text) {
        return SpecParser.parse(yaml(text), "f.yaml", "", SpecParser.Defaults.STANDARD).spec();
    }

    @Test
    void triggersKeepTheirOrderNamesAndSettings() {
        FunctionSpec s = parse("""
                name: nightly
                runtime: nodejs
                http: false
                triggers:
                  - type: cron
                    schedule: "*/2 * * * * *"
                    payload: {report: daily}
                  - type: kafka
                    name: orders
                    topic: orders
                """);
        assertFalse(s.http());
        assertEquals(2, s.triggers().size());
        assertEquals("cron-1", s.triggers().get(0).name());
        assertEquals("*/2 * * * * *", s.triggers().get(0).settings().get("schedule").asText());
        assertEquals("daily", s.triggers().get(0).settings().path("payload").path("report").asText());
        assertFalse(s.triggers().get(0).settings().has("type"));
        assertEquals("orders", s.triggers().get(1).name());
        assertEquals("kafka", s.triggers().get(1).type());
    }

    @Test
    void writtenSpecReadsBackEqual() {
        FunctionSpec s = parse("""
                name: nightly
                runtime: nodejs
                http: false
                triggers: [{type: cron, schedule: "0 3 * * *", timezone: Europe/Berlin}]
                """);
        FunctionSpec back = SpecParser.parse(SpecParser.write(s), "stored", "", SpecParser.Defaults.STANDARD).spec();
        assertEquals(s, back);
    }

    @Test
    void specsWithoutTriggersAreWrittenAsBefore() {
        FunctionSpec s = parse("name: a\nruntime: nodejs\n");
        assertTrue(s.http());
        assertFalse(SpecParser.write(s).has("triggers"));
        assertFalse(SpecParser.write(s).has("http"));
    }

    static Stream<Arguments> problems() {
        return Stream.of(
                Arguments.of("triggers: cron", "key 'triggers': value 'cron' is not valid; allowed: a list of mappings"),
                Arguments.of("triggers: [cron]", "key 'triggers[0]': value 'cron' is not valid; allowed: a mapping"),
                Arguments.of("triggers: [{schedule: x}]", "key 'triggers[0].type': required"),
                Arguments.of("triggers: [{type: Cron!}]", "key 'triggers[0].type': value 'Cron!' is not valid"),
                Arguments.of("triggers: [{type: cron, name: a}, {type: cron, name: a}]",
                        "key 'triggers[1].name': value 'a' is not valid; allowed: a name no other trigger"),
                Arguments.of("triggers: [{type: cron, name: 'A B'}]", "key 'triggers[0].name': value 'A B'"),
                Arguments.of("http: maybe", "key 'http': value 'maybe' is not valid; allowed: true"),
                Arguments.of("triggers: [" + "{type: cron},".repeat(9_999) + "{type: cron}]",
                        "key 'triggers': value '10000 entries' is not valid; allowed: at most 32 triggers"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("problems")
    void problemsNameTheKeyTheValueAndWhatIsAllowed(String extra, String message) {
        SpecException e = assertThrows(SpecException.class, () -> parse("name: a\nruntime: nodejs\n" + extra + "\n"));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
