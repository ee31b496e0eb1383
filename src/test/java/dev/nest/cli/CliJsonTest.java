package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI's JSON reads and writes what the shared mapper does, keeps field order and refuses what is not JSON. */
class CliJsonTest {
    private static JsonNode read(String s) throws IOException {
        return CliJson.read(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsAsTheSharedMapperDoes() throws IOException {
        for (String doc : List.of("{}", "[]", "\"x\"", "1", "-7", "12345678901234", "123456789012345678901234567890",
                "1.5", "-2e-3", "true", "false", "null", "{\"b\":1,\"a\":[1,{\"c\":null}],\"\u00e9\":\"\\u00e9\\n\"}")) {
            JsonNode mine = read(doc);
            JsonNode shared = Json.mapper().readTree(doc);
            assertEquals(shared, mine, doc);
            assertEquals(shared.toString(), mine.toString(), doc);
            assertEquals(shared, Json.mapper().readTree(CliJson.pretty(mine)), doc);
            assertEquals(shared, Json.mapper().readTree(CliJson.bytes(mine)), doc);
        }
    }

    @Test
    void refusesWhatIsNotOneJsonValue() {
        for (String bad : List.of("", "{", "{\"a\":}", "[1,]", "{} {}", "1 2", "<html>", "{'a':1}")) {
            assertThrows(IOException.class, () -> read(bad), bad);
        }
    }

    @Test
    void writesMapsListsAndScalars() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("to", 3);
        m.put("steps", List.of(10, 50, 100));
        m.put("rate", 0.5);
        m.put("name", "a\"b");
        m.put("none", null);
        m.put("on", true);
        m.put("tree", read("{\"x\":[1]}"));
        assertEquals("{\"to\":3,\"steps\":[10,50,100],\"rate\":0.5,\"name\":\"a\\\"b\",\"none\":null,\"on\":true,"
                + "\"tree\":{\"x\":[1]}}", new String(CliJson.bytes(m), StandardCharsets.UTF_8));
        assertThrows(IllegalArgumentException.class, () -> CliJson.bytes(Map.of("t", new Object())));
    }
}
