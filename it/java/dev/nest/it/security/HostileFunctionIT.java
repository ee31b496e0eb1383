package dev.nest.it.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile Node.js function on a node with the {@code process} driver, Nest running as root (docs/SECURITY.md):
 * it tries to read Nest's data and another function's code, to find pod secrets in {@code /proc}, to use a secret
 * against another pod, to read Nest's environment and signal Nest, and to rewrite its pid file. Every attempt must
 * fail; the test lists each attempt with what stopped it.
 *
 * <p>Runs only as root: without root the process driver does not isolate (it says so in {@code /health}).
 */
class HostileFunctionIT {
    @TempDir
    static Path data;
    @TempDir
    static Path functions;

    static NestServer server;
    static Http http;
    static final String MARKER = "victim-code-" + UUID.randomUUID();

    /** The attacks, shared with the container drivers' tests ({@link HostileFunction}). */
    static final String HOSTILE_JS = HostileFunction.JS;

    @BeforeAll
    static void start() throws IOException {
        Engines.requireNode();
        assumeTrue(rootUid() == 0, "the process driver isolates functions only when Nest runs as root");
        Fixtures.nodeFunction(functions, "victim", "deploy: dedicated\n", "// " + MARKER + "\nexports.handler = async () => 'victim';\n");
        Fixtures.nodeFunction(functions, "hostile", "deploy: dedicated\n", HOSTILE_JS);
        server = Fixtures.startNode(data, functions);
        http = Http.local(server.port());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void everyAttackOfAHostileFunctionFails() throws IOException {
        Http.Response victim = http.get("/fn/victim/");
        assertEquals(200, victim.status(), () -> victim + "\n" + listing(data));
        Http.Response warm = http.get("/fn/hostile/?warmup=1");
        assertEquals(200, warm.status(), warm::toString);
        String hostilePod = warm.json().path("pod").asText();

        Path victimCode = victimCodeFile();
        Map<String, Map<String, String>> hosts = hostEnvironments();
        List<String> otherPorts = new ArrayList<>();
        hosts.forEach((pid, env) -> {
            assertFalse(env.containsKey("NEST_HOST_SECRET"), "no host has its secret in its environment: pid " + pid);
            if (!hostilePod.equals(env.get("NEST_POD_ID"))) {
                otherPorts.add(env.get("NEST_HOST_PORT"));
            }
        });
        assertFalse(otherPorts.isEmpty(), "the victim's pod runs: " + hosts);

        String query = "?nestPid=" + ProcessHandle.current().pid() + "&nestUid=" + rootUid()
                + "&data=" + enc(data.toString()) + "&victimCode=" + enc(victimCode.toString())
                + "&ports=" + String.join(",", otherPorts);
        Http.Response r = http.get("/fn/hostile/" + query);
        assertEquals(200, r.status(), r::toString);
        assertNotEquals(0, r.json().path("uid").asInt(), r::toString);

        StringBuilder report = new StringBuilder("hostile function in pod " + hostilePod + " as uid " + r.json().path("uid") + ":\n");
        List<String> succeeded = new ArrayList<>();
        for (JsonNode a : r.json().path("attempts")) {
            boolean blocked = a.path("blocked").asBoolean();
            report.append(blocked ? "  blocked   " : "  SUCCEEDED ").append(a.path("name").asText()).append(": ")
                    .append(a.path("detail").asText()).append('\n');
            if (!blocked) {
                succeeded.add(a.path("name").asText());
            }
        }
        System.err.println(report);
        assertEquals(15, r.json().path("attempts").size(), report::toString);
        assertEquals(List.of(), succeeded, report.toString());

        assertTrue(Files.readString(victimCode).contains(MARKER), "the victim's code is unchanged");
        assertEquals(200, http.get("/fn/victim/").status(), "the victim still answers through the gateway");
        assertEquals("ready", http.get("/health").json().path("status").asText());
    }

    /** Modes and owners under {@code dir}, for a failure message. */
    private static String listing(Path dir) {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(p -> {
                try {
                    sb.append(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS))).append(' ')
                            .append(Files.getAttribute(p, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS)).append(':')
                            .append(Files.getAttribute(p, "unix:gid", java.nio.file.LinkOption.NOFOLLOW_LINKS)).append(' ')
                            .append(Files.isSymbolicLink(p) ? "symlink " : "").append(p).append('\n');
                } catch (IOException e) {
                    sb.append("? ").append(p).append('\n');
                }
            });
        } catch (IOException | RuntimeException e) {
            sb.append("cannot list ").append(dir).append(": ").append(e);
        }
        return sb.toString();
    }

    private static Path victimCodeFile() throws IOException {
        try (Stream<Path> s = Files.walk(data.resolve("artifacts"))) {
            return s.filter(p -> p.getFileName().toString().equals("index.js")).filter(p -> {
                try {
                    return Files.readString(p).contains(MARKER);
                } catch (IOException e) {
                    return false;
                }
            }).findFirst().orElseThrow(() -> new AssertionError("the victim's code is not under " + data));
        }
    }

    /** The environment of every runtime host of this node (read as root), by pid. */
    private static Map<String, Map<String, String>> hostEnvironments() throws IOException {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                Optional<Map<String, String>> env = environ(p);
                env.filter(e -> e.containsKey("NEST_POD_ID") && e.getOrDefault("HOME", "").startsWith(data.toString()))
                        .ifPresent(e -> out.put(p.getFileName().toString(), e));
            }
        }
        return out;
    }

    private static Optional<Map<String, String>> environ(Path proc) {
        try {
            Map<String, String> env = new LinkedHashMap<>();
            for (String kv : Files.readString(proc.resolve("environ"), StandardCharsets.ISO_8859_1).split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            return Optional.of(env);
        } catch (IOException | RuntimeException gone) {
            return Optional.empty();
        }
    }

    private static int rootUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
