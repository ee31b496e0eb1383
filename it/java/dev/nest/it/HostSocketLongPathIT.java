package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Host sockets under a data directory so long that a pod's socket path does not fit in {@code sun_path} (107 bytes;
 * ADR 0032, addendum "Host sockets under long data directories"): the process driver's hosts bind the socket by its
 * name in their scratch directory (their working directory) and the gateway reaches it through a short link, so a
 * dedicated and a merged Node.js function are still served over their socket. Each function reports, from inside its
 * host process, how many connected sockets it holds that are bound at the name in {@code NEST_HOST_SOCKET}: the
 * gateway's connections (the node agent's health checks go to the TCP port), so at least one after a few requests.
 * Container pods under a long data directory: {@code ContainerHostSocketIT}.
 */
class HostSocketLongPathIT {
    /** Connected sockets of this process bound at NEST_HOST_SOCKET, from the kernel's table. */
    static final String JS = """
            const fs = require('fs');
            exports.handler = async () => {
              const mine = new Set();
              for (const fd of fs.readdirSync('/proc/self/fd')) {
                try { const m = /^socket:\\[(\\d+)\\]$/.exec(fs.readlinkSync('/proc/self/fd/' + fd)); if (m) mine.add(m[1]); } catch (e) {}
              }
              const bound = process.env.NEST_HOST_SOCKET || '';
              const rows = fs.readFileSync('/proc/net/unix', 'utf8').split('\\n').slice(1).map(l => l.trim().split(/\\s+/));
              const connected = rows.filter(c => c.length >= 8 && c[7] === bound && c[5] === '03' && mine.has(c[6])).length;
              return { dir: process.cwd(), bound, connected };
            };
            """;

    static Path root;
    static NestServer server;
    static Http http;

    @BeforeAll
    static void start() throws IOException {
        Engines.requireNode();
        root = Files.createTempDirectory("nest-it-HostSocketLongPathIT-");
        Path functions = Files.createDirectories(root.resolve("functions"));
        Fixtures.nodeFunction(functions, "dedicated", "deploy: dedicated\nscaling:\n  min: 0\n  max: 1\n", JS);
        Fixtures.nodeFunction(functions, "merged", "deploy: merged\nmemory: 64\n", JS);
        // two levels of 60 characters: every pod's socket path is well over 107 bytes; others may pass through them,
        // so the isolated pods keep their directories under the data directory (PodFiles.podsRoot)
        Path data = Files.createDirectories(root.resolve("d".repeat(60)).resolve("e".repeat(60)).resolve("data"));
        for (Path p = data.getParent(); p.startsWith(root); p = p.getParent()) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        server = Fixtures.startNode(NestConfig.defaults(), data, functions);
        http = Http.of(server);
    }

    @AfterAll
    static void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (root != null) {
            try (Stream<Path> all = Files.walk(root)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void aDedicatedNodeFunctionIsServedOverItsSocket() throws IOException {
        assertServedOverTheSocket("dedicated");
    }

    @Test
    void aMergedNodeFunctionIsServedOverItsPodsSocket() throws IOException {
        assertServedOverTheSocket("merged");
    }

    private static void assertServedOverTheSocket(String function) throws IOException {
        JsonNode body = null;
        for (int i = 0; i < 5; i++) {
            Http.Response r = http.get("/fn/" + function);
            assertEquals(200, r.status(), r.text());
            body = r.json();
        }
        JsonNode last = body;
        Path socket = Path.of(last.path("dir").asText()).resolve("nest-host.sock");
        assertTrue(socket.toString().getBytes(StandardCharsets.UTF_8).length > 107, "a long path: " + socket);
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "the host listens on " + socket);
        assertEquals("nest-host.sock", last.path("bound").asText(), "bound by name in the scratch directory: " + last);
        assertTrue(last.path("connected").asLong() >= 1, "the gateway's connection to the socket: " + last);
    }
}
