package dev.nest.driver.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.spi.SandboxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A prepared container's late environment: the wrapped process, the env file, its quoting. */
class PreparedTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode spec(String... args) {
        ObjectNode root = JSON.createObjectNode();
        var a = root.putObject("process").putArray("args");
        for (String s : args) {
            a.add(s);
        }
        root.putArray("mounts");
        return root;
    }

    private static List<String> args(ObjectNode spec) {
        List<String> out = new ArrayList<>();
        spec.path("process").path("args").forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void theImageEntrypointRunsBehindTheInitAndTheEnvironmentScript() {
        ObjectNode s = spec("/nest/init", "--", "node", "/nest/runtime/host.js");
        Prepared.lateEnvironment(s, Path.of("/data/prep-1/env"), true);
        assertEquals(List.of("/nest/init", "--", "/bin/sh", "-c", ". /nest/env/env && exec \"$@\"", "nest-host", "node",
                "/nest/runtime/host.js"), args(s));
        var m = s.path("mounts").get(0);
        assertEquals("/nest/env", m.path("destination").asText());
        assertEquals("/data/prep-1/env", m.path("source").asText());
        assertTrue(m.path("options").toString().contains("\"ro\""), m.toString());
    }

    @Test
    void withoutAnInitTheShellIsTheFirstProcess() {
        ObjectNode s = spec("java", "-cp", "x", "Main");
        Prepared.lateEnvironment(s, Path.of("/e"), false);
        assertEquals(List.of("/bin/sh", "-c", ". /nest/env/env && exec \"$@\"", "nest-host", "java", "-cp", "x", "Main"), args(s));
    }

    @Test
    void badNamesAndNulCharactersAreRefused() {
        for (Map<String, String> env : List.of(Map.of("1X", "v"), Map.of("A-B", "v"), Map.of("A;rm", "v"), Map.of("A", "x\0y"))) {
            assertThrows(SandboxException.class, () -> Prepared.script(env), env.toString());
        }
    }

    /** The script, read by a real POSIX shell, gives back every value byte for byte. */
    @Test
    void aShellReadsBackEveryValue(@TempDir Path dir) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NEST_HOST_PORT", "20001");
        env.put("QUOTE", "it's \"quoted\"");
        env.put("DOLLAR", "$HOME `id` $(id) \\n");
        env.put("SPACES", "  a  b  ");
        env.put("NEWLINE", "line1\nline2");
        env.put("EMPTY", "");
        Path file = dir.resolve("env");
        Files.writeString(file, Prepared.script(env), StandardCharsets.UTF_8);
        for (Map.Entry<String, String> e : env.entrySet()) {
            Process p = new ProcessBuilder("/bin/sh", "-c", ". \"$0\" && printf %s \"$" + e.getKey() + "\"", file.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor());
            assertEquals(e.getValue(), out, e.getKey());
        }
    }
}
