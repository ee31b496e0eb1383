package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gateway calls runtime hosts of the process driver over their Unix domain socket (ADR 0032), through the public
 * port: a dedicated and a merged Node.js function each answer with their pod's scratch directory, where the socket
 * sits, and the kernel's table of Unix sockets ({@code /proc/net/unix}) must show connections to that socket (the
 * gateway is the only client that uses it; the node agent's health checks go to the TCP port). A Java function is
 * served over its host's socket the same way ({@code dev.nest.host.UnixSocketHttpServer}). Container pods:
 * {@code ContainerHostSocketIT}.
 */
class HostSocketIT {
    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(HostSocketIT::writeFunctions);
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        String js = "exports.handler = async () => ({ dir: process.cwd() });\n";
        Fixtures.nodeFunction(functions, "dedicated", "deploy: dedicated\nscaling:\n  min: 0\n  max: 1\n", js);
        Fixtures.nodeFunction(functions, "merged", "deploy: merged\nmemory: 64\n", js);
        Fixtures.write(functions, "java/Handler.java", """
                import dev.nest.fn.Context;
                import java.util.Map;

                public class Handler {
                    public Object handle(Map<String, Object> event, Context context) {
                        return Map.of("dir", System.getProperty("user.dir"));
                    }
                }
                """);
        Fixtures.write(functions, "java.yaml", "name: java\nruntime: java\ncode: java\nhandler: Handler\n"
                + "deploy: dedicated\nmemory: 256\nscaling:\n  min: 0\n  max: 1\n");
    }

    @Test
    void aDedicatedNodeFunctionIsServedOverItsSocket() throws IOException {
        assertServedOverTheSocket("dedicated");
    }

    @Test
    void aMergedNodeFunctionIsServedOverItsPodsSocket() throws IOException {
        assertServedOverTheSocket("merged");
    }

    @Test
    void aJavaFunctionIsServedOverItsSocket() throws IOException {
        assertServedOverTheSocket("java");
    }

    private static void assertServedOverTheSocket(String function) throws IOException {
        Path dir = null;
        for (int i = 0; i < 5; i++) {
            Http.Response r = http.get("/fn/" + function);
            assertEquals(200, r.status(), r.text());
            Path d = Path.of(r.json().path("dir").asText());
            assertTrue(dir == null || dir.equals(d), "one pod serves all five: " + dir + ", " + d);
            dir = d;
        }
        Path socket = dir.resolve("nest-host.sock");
        assertTrue(Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the host listens on " + socket);
        // the gateway keeps its connection to the host in its pool after the answer, so it is still in the table
        assertTrue(connections(socket) >= 1, "a connection to " + socket + " in /proc/net/unix:\n"
                + unixTable(socket).stream().map(cols -> String.join(" ", cols)).toList());
    }

    /** Connected Unix sockets bound to {@code socket}: the host's ends of the connections it accepted there. */
    private static long connections(Path socket) throws IOException {
        return unixTable(socket).stream().filter(cols -> cols[5].equals("03")).count();
    }

    /** The rows of {@code /proc/net/unix} for {@code socket}: Num RefCount Protocol Flags Type St Inode Path. */
    private static List<String[]> unixTable(Path socket) throws IOException {
        return Files.readAllLines(Path.of("/proc/net/unix")).stream().skip(1)
                .map(l -> l.trim().split("\\s+"))
                .filter(cols -> cols.length >= 8 && cols[7].equals(socket.toString()))
                .toList();
    }
}
