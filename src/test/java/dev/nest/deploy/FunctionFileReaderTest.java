package dev.nest.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hostile and careless YAML is refused quickly, with every duplicate key and the line of each problem. */
class FunctionFileReaderTest {
    private static byte[] yaml(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> problems(String text) {
        return assertThrows(FunctionFileReader.Unreadable.class, () -> FunctionFileReader.read(yaml(text))).problems();
    }

    @Test
    void readsASpec() {
        var tree = FunctionFileReader.read(yaml("name: hello\nruntime: nodejs\ncode: hello\nscaling:\n  schedule:\n"
                + "    - {cron: \"0 8 * * *\", duration: 1h, min: 2}\n"));
        assertEquals("hello", tree.path("name").asText());
        assertEquals(2, tree.path("scaling").path("schedule").path(0).path("min").asInt());
    }

    @Test
    void anEmptyFileIsAMissingDocument() {
        assertTrue(FunctionFileReader.read(yaml("")).isMissingNode());
    }

    @Test
    void billionLaughsIsRefusedFast() {
        StringBuilder sb = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (char c = 'b'; c <= 'j'; c++) {
            char p = (char) (c - 1);
            sb.append(c).append(": &").append(c).append(" [*").append(p).append(",*").append(p).append(",*").append(p)
                    .append(",*").append(p).append(",*").append(p).append(",*").append(p).append(",*").append(p)
                    .append(",*").append(p).append(",*").append(p).append("]\n");
        }
        List<String> p = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> problems(sb.toString()));
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.getFirst().startsWith("line 2: YAML aliases (*a) are not allowed"), p.toString());
    }

    @Test
    void deepNestingIsRefusedFast() {
        String deep = "a: " + "[".repeat(100_000) + "]".repeat(100_000) + "\n";
        List<String> p = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> problems(deep));
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.getFirst().contains("nested deeper than " + FunctionFileReader.MAX_DEPTH), p.toString());
        String deepBlock = "a:\n" + java.util.stream.IntStream.range(1, 40).mapToObj(i -> "  ".repeat(i) + "k" + i + ":\n")
                .reduce("", String::concat) + "  ".repeat(40) + "x: 1\n";
        assertTrue(problems(deepBlock).getFirst().contains("nested deeper"), problems(deepBlock).toString());
    }

    @Test
    void deeplyNestedFlowMappingsAreRefusedFast() {
        String deep = "env: " + "{a: ".repeat(50_000) + "1" + "}".repeat(50_000) + "\n";
        List<String> p = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> problems(deep));
        assertTrue(p.getFirst().contains("nested deeper than"), p.toString());
    }

    @Test
    void everyDuplicateKeyIsNamedWithItsLines() {
        List<String> p = problems("""
                name: a
                runtime: nodejs
                scaling:
                  min: 1
                  max: 2
                  min: 3
                name: b
                """);
        assertEquals(List.of("key 'scaling.min' appears twice (lines 4 and 6); keep one",
                "key 'name' appears twice (lines 1 and 7); keep one"), p);
    }

    @Test
    void theSameKeyInTwoListItemsIsNoDuplicate() {
        FunctionFileReader.read(yaml("scaling:\n  schedule:\n    - {cron: a, min: 1}\n    - {cron: b, min: 2}\n"));
    }

    @Test
    void aSyntaxErrorHasItsLineAndColumn() {
        List<String> p = problems("name: hello\nruntime: [nodejs\ncode: x\n");
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.getFirst().matches("line \\d+, column \\d+: not valid YAML: .+"), p.toString());
        assertTrue(p.getFirst().startsWith("line 3") || p.getFirst().startsWith("line 4"), p.toString());
    }

    @Test
    void aSecondDocumentIsRefused() {
        List<String> p = problems("name: a\nruntime: nodejs\n---\nname: b\n");
        assertTrue(p.getFirst().startsWith("line 4: a second YAML document"), p.toString());
    }
}
