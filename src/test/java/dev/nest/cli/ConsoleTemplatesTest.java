package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The web console creates functions from the same code 'nest fn init' writes: its templates
 * (src/main/console/src/templates.js) hold {@link Templates}' handlers word for word, so the two cannot drift.
 */
class ConsoleTemplatesTest {
    /** The handler as it appears in the console's template literal (backticks and ${ escaped). */
    private static String asTemplateLiteral(String code) {
        return code.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${");
    }

    @Test
    void theConsoleStartsFunctionsFromTheCliTemplates() throws IOException {
        String js = Files.readString(Path.of("src/main/console/src/templates.js"));
        assertTrue(js.contains(asTemplateLiteral(Templates.NODE_HANDLER)), "the Node.js template differs from Templates.NODE_HANDLER");
        assertTrue(js.contains(asTemplateLiteral(Templates.JAVA_HANDLER)), "the Java template differs from Templates.JAVA_HANDLER");
        for (String line : Templates.nodeYaml("x").lines().filter(l -> l.matches("(handler|memory|timeout|concurrency): .*")).toList()) {
            String key = line.substring(0, line.indexOf(':'));
            String value = line.substring(line.indexOf(':') + 2);
            assertTrue(js.contains(key + ": " + (value.matches("\\d+") ? value : "'" + value + "'")), line);
        }
    }
}
