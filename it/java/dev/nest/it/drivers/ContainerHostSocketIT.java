package dev.nest.it.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.docker.DockerEngines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The gateway calls the runtime hosts of docker and containerd pods over their Unix domain socket (ADR 0032,
 * addendum): a Node.js and a Java function on each driver answer through the public port, and each reports, from
 * inside its host process, that the host holds a connected socket bound at {@code /nest/host/nest-host.sock} in the
 * kernel's table ({@code /proc/net/unix}, shared with the node: host networking): the connection the request came
 * in on. On the node, each pod's socket directory ({@code <data>/<driver>/pods/<pod>/host}) is the container user's
 * (uid 65534) alone, mode 0700, and holds the socket the host bound, owned by that uid (the owner the gateway's
 * {@code SO_PEERCRED} check admits); closing the node removes them. Under a data directory too long for the node-side
 * path to fit in {@code sun_path}, containerd pods are still called over their socket (through a short link).
 *
 * <p>The Java image must hold a host built from this tree ({@code distribution/images/build.sh});
 * {@code NEST_IT_JAVA_IMAGE} names another tag of it. Skips loudly without the engines or the images.
 */
class ContainerHostSocketIT {
    static final String JAVA_IMAGE = Optional.ofNullable(System.getenv("NEST_IT_JAVA_IMAGE")).filter(s -> !s.isBlank())
            .orElse(DockerEngines.JAVA_IMAGE);

    /** The function's own host process: connected sockets of it bound at the container's socket path. */
    static final String NODE_FN = """
            const fs = require('fs');
            exports.handler = async () => {
              const mine = new Set();
              for (const fd of fs.readdirSync('/proc/self/fd')) {
                try { const m = /^socket:\\[(\\d+)\\]$/.exec(fs.readlinkSync('/proc/self/fd/' + fd)); if (m) mine.add(m[1]); } catch (e) {}
              }
              const rows = fs.readFileSync('/proc/net/unix', 'utf8').split('\\n').slice(1).map(l => l.trim().split(/\\s+/));
              const connected = rows.filter(c => c.length >= 8 && c[7] === '/nest/host/nest-host.sock' && c[5] === '03' && mine.has(c[6])).length;
              return { lang: 'node', connected, socket: process.env.NEST_HOST_SOCKET || '', uid: process.getuid() };
            };
            """;

    static final String JAVA_FN = """
            import dev.nest.fn.Context;
            import java.nio.file.*;
            import java.util.*;

            public class Handler {
                public Object handle(Map<String, Object> event, Context context) throws Exception {
                    Set<String> mine = new HashSet<>();
                    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
                        for (Path fd : fds) {
                            try {
                                String t = Files.readSymbolicLink(fd).toString();
                                if (t.startsWith("socket:[")) mine.add(t.substring(8, t.length() - 1));
                            } catch (Exception e) {
                                // closed meanwhile
                            }
                        }
                    }
                    long connected = Files.readAllLines(Path.of("/proc/net/unix")).stream().skip(1)
                            .map(l -> l.trim().split("\\\\s+"))
                            .filter(c -> c.length >= 8 && c[7].equals("/nest/host/nest-host.sock") && c[5].equals("03")
                                    && mine.contains(c[6]))
                            .count();
                    String socket = System.getenv("NEST_HOST_SOCKET");
                    return Map.of("lang", "java", "connected", connected, "socket", socket == null ? "" : socket);
                }
            }
            """;

    @Test
    void dockerPodsAreCalledOverTheirSocket() throws Exception {
        DockerEngines.requireDocker();
        DockerEngines.requireImages(DockerEngines.NODEJS_IMAGE, JAVA_IMAGE);
        run("docker", "    docker:\n      image.java: " + JAVA_IMAGE + "\n");
    }

    @Test
    void containerdPodsAreCalledOverTheirSocket() throws Exception {
        String java = JAVA_IMAGE.contains("/") && !JAVA_IMAGE.startsWith("docker.io/") ? "docker.io/" + JAVA_IMAGE : JAVA_IMAGE;
        ContainerdClient.requireContainerdAndImages("docker.io/nest/runtime-nodejs:latest", java);
        run("containerd", "    containerd:\n      address: \"" + ContainerdClient.address() + "\"\n      image.java: " + java + "\n");
    }

    @Test
    void containerdPodsUnderALongDataDirectoryAreCalledOverTheirSocket() throws Exception {
        String java = JAVA_IMAGE.contains("/") && !JAVA_IMAGE.startsWith("docker.io/") ? "docker.io/" + JAVA_IMAGE : JAVA_IMAGE;
        ContainerdClient.requireContainerdAndImages("docker.io/nest/runtime-nodejs:latest", java);
        run("containerd", "    containerd:\n      address: \"" + ContainerdClient.address() + "\"\n      image.java: " + java + "\n",
                true);
    }

    private static void run(String driver, String driverYaml) throws Exception {
        run(driver, driverYaml, false);
    }

    /**
     * @param longData a data directory so long that the pods' node-side socket paths exceed sun_path (the node then
     *                 connects through short links, SocketLinks; the container's path is the same)
     */
    private static void run(String driver, String driverYaml, boolean longData) throws Exception {
        String nodeId = "it-sock-" + driver.charAt(0) + "-" + UUID.randomUUID().toString().substring(0, 6);
        Path root = Files.createTempDirectory(Path.of("/tmp"), "hs");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (longData) {
            root = Files.createDirectories(root.resolve("l".repeat(90)));
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path functions = Files.createDirectories(root.resolve("f"));
        Fixtures.nodeFunction(functions, "sn", "deploy: dedicated\nmemory: 128\nscaling:\n  min: 0\n  max: 1\n", NODE_FN);
        Fixtures.write(functions, "sj/Handler.java", JAVA_FN);
        Fixtures.write(functions, "sj.yaml", "name: sj\nruntime: java\ncode: sj\nhandler: Handler\n"
                + "deploy: dedicated\nmemory: 256\nscaling:\n  min: 0\n  max: 1\n");
        String yaml = "node:\n  id: " + nodeId + "\nsidecar:\n  driver: " + driver + "\n  start-timeout: 60s\n"
                + "  stop-grace: 2s\n  drivers:\n" + driverYaml;
        NestServer server = Fixtures.startNode(NestConfig.load(Fixtures.write(root, "nest.yaml", yaml)),
                Files.createDirectories(root.resolve("d")), functions);
        Path pods = root.resolve("d").resolve(driver).resolve("pods");
        try {
            Http http = Http.of(server);
            for (String fn : List.of("sn", "sj")) {
                JsonNode last = null;
                for (int i = 0; i < 3; i++) {
                    Http.Response r = http.get("/fn/" + fn);
                    assertEquals(200, r.status(), () -> driver + " " + fn + ": " + r);
                    last = r.json();
                }
                JsonNode body = last;
                assertEquals("/nest/host/nest-host.sock", body.path("socket").asText(), () -> driver + " " + fn + ": " + body);
                assertTrue(body.path("connected").asLong() >= 1, () -> driver + " " + fn + ": the host answered "
                        + "over its socket, so it holds a connection accepted there: " + body);
            }
            List<Path> sockets = sockets(pods);
            assertTrue(sockets.size() >= 2, () -> "a socket per pod under " + pods + ": " + sockets);
            for (Path socket : sockets) {
                assertEquals(0140000, mode(socket) & 0170000, () -> socket + " is a socket");
                assertEquals(65534, uid(socket), () -> socket + " is bound by the container's user");
                assertEquals(65534, uid(socket.getParent()), () -> socket.getParent() + " is the container user's");
                assertEquals(0700, mode(socket.getParent()) & 07777, () -> socket.getParent() + " is private");
                assertEquals(0, uid(socket.getParent().getParent()), () -> "the pod directory is root's");
                assertEquals(longData, socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107,
                        () -> socket + ": long data directory " + longData);
            }
        } finally {
            server.close();
            if (driver.equals("containerd")) {
                ContainerdClient.get().removeAllOfNode(nodeId);
            }
        }
        dev.nest.it.Poll.until("closing the node removes its pods' socket directories", () -> sockets(pods), List::isEmpty);
        deleteTree(longData ? root.getParent() : root);
    }

    private static List<Path> sockets(Path pods) {
        if (!Files.isDirectory(pods)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(pods)) {
            return dirs.map(d -> d.resolve("host").resolve("nest-host.sock"))
                    .filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
