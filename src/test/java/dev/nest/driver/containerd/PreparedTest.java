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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
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
        Prepared.lateEnvironment(s, Path.of("/data/prep-1/env"), true, EnvAccess.of(0, 0));
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
        Prepared.lateEnvironment(s, Path.of("/e"), false, EnvAccess.of(0, 0));
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

    /** Who may read the environment file, by the user and group Nest runs as: never every user of the host. */
    @Test
    void theEnvironmentFileIsNeverWorldReadable() {
        record Row(int uid, int gid, Optional<Integer> chownTo, String mode, Optional<Integer> readerGid) {
        }
        for (Row r : List.of(
                new Row(0, 0, Optional.of(OciSpec.UID), "r--------", Optional.empty()),      // root: given to the pod's user
                new Row(0, 50, Optional.of(OciSpec.UID), "r--------", Optional.empty()),
                new Row(OciSpec.UID, OciSpec.UID, Optional.empty(), "r--------", Optional.empty()), // runs as the pod's user
                new Row(1000, 1000, Optional.empty(), "r--r-----", Optional.of(1000)),      // another user: its group
                new Row(1000, 65534, Optional.empty(), "r--r-----", Optional.of(65534)))) {
            EnvAccess a = EnvAccess.of(r.uid(), r.gid());
            assertEquals(new EnvAccess(r.chownTo(), r.mode(), r.readerGid()), a, r.toString());
            assertEquals("---", a.mode().substring(6), r.toString());
        }
        SandboxException e = assertThrows(SandboxException.class, () -> EnvAccess.of(1000, 0));
        assertTrue(e.getMessage().contains("gid 0") && e.getMessage().contains("prepared: 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EnvAccess(Optional.empty(), "r--r--r--", Optional.empty()));
    }

    @Test
    void aNonRootNestGivesThePodItsGroupAsASupplementaryGroup() {
        ObjectNode s = spec("node", "host.js");
        ((ObjectNode) s.path("process")).putObject("user").put("uid", OciSpec.UID).putArray("additionalGids").add(OciSpec.UID);
        Prepared.lateEnvironment(s, Path.of("/e"), false, EnvAccess.of(1000, 1234));
        assertEquals("[65534,1234]", s.path("process").path("user").path("additionalGids").toString());
        ObjectNode root = spec("node", "host.js");
        ((ObjectNode) root.path("process")).putObject("user").put("uid", OciSpec.UID).putArray("additionalGids").add(OciSpec.UID);
        Prepared.lateEnvironment(root, Path.of("/e"), false, EnvAccess.of(0, 0));
        assertEquals("[65534]", root.path("process").path("user").path("additionalGids").toString());
    }

    /** The file is written with the access's mode (group-readable at most), replacing the previous one whole. */
    @Test
    void theFileIsWrittenPrivate(@TempDir Path dir) throws Exception {
        EnvAccess group = new EnvAccess(Optional.empty(), "r--r-----", Optional.of(1234));
        Prepared.write(dir, group, "export A='1'\n", "c1");
        Prepared.write(dir, group, "export A='2'\n", "c1");
        Path file = dir.resolve("env");
        assertEquals("r--r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("export A='2'\n", Files.readString(file));
        assertTrue(Files.notExists(dir.resolve("env.part")));
        EnvAccess own = new EnvAccess(Optional.empty(), "r--------", Optional.empty());
        Prepared.write(dir, own, "export A='3'\n", "c1");
        assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }
}
