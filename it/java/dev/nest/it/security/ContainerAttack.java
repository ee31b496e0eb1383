package dev.nest.it.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;

/**
 * {@link HostileFunction}'s container attacks on an in-process node of a container driver (docker, containerd): the
 * node runs the embedded ZooKeeper on a known port and its pods in a known port range; a victim function runs
 * beside the hostile one. Every attack must fail (an attack marked known would be printed as KNOWN instead; none is).
 */
final class ContainerAttack implements AutoCloseable {
    final String nodeId;
    final NestServer server;
    final Http http;
    final Path data;
    final int zooKeeperPort;
    final int podFrom;
    final String marker = "victim-code-" + UUID.randomUUID();

    /**
     * Starts the node: {@code driverYaml} is the {@code sidecar.drivers} entry (indented under {@code drivers:}).
     */
    ContainerAttack(Path scratch, String driver, String driverYaml, int podFrom) {
        this.nodeId = "it-hostile-" + driver + "-" + UUID.randomUUID().toString().substring(0, 8);
        this.podFrom = podFrom;
        this.zooKeeperPort = Fixtures.freePort();
        try {
            // the pods run as nobody: the node's code directory must be readable by others
            Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path functions = Files.createDirectories(scratch.resolve("functions"));
            Fixtures.nodeFunction(functions, "victim", "deploy: dedicated\ntimeout: 20s\n",
                    "// " + marker + "\nexports.handler = async () => 'victim';\n");
            Fixtures.nodeFunction(functions, "hostile", "deploy: dedicated\ntimeout: 60s\n", HostileFunction.JS);
            Path file = Fixtures.write(scratch, nodeId + ".yaml", """
                    node:
                      id: %s
                    cluster:
                      embedded-port: %d
                    sidecar:
                      driver: %s
                      port-range: %d-%d
                      start-timeout: 60s
                      stop-grace: 2s
                      drivers:
                    %s""".formatted(nodeId, zooKeeperPort, driver, podFrom, podFrom + 999, driverYaml));
            this.data = Files.createDirectories(scratch.resolve("data"));
            this.server = Fixtures.startNode(NestConfig.load(file), data, functions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.http = Http.of(server);
        var health = http.get("/health").json();
        Engines.require(driver + " driver", health.path("driver").path("healthy").asBoolean(), "its /health: " + health);
    }

    /** Runs the attacks once; asserts that each failed (known ones aside) and that Nest is unharmed. */
    HostileFunction.Report attack() {
        Http.Response victim = http.get("/fn/victim/");
        assertEquals(200, victim.status(), victim::toString);
        Http.Response warm = http.get("/fn/hostile/?warmup=1");
        assertEquals(200, warm.status(), warm::toString);
        String pod = warm.json().path("pod").asText();
        try (Socket zk = new Socket("127.0.0.1", zooKeeperPort)) {
            assertTrue(zk.isConnected(), "the embedded ZooKeeper listens on " + zooKeeperPort);
        } catch (IOException e) {
            throw new AssertionError("the embedded ZooKeeper does not listen on " + zooKeeperPort, e);
        }

        String query = "?mode=container&nestPid=" + ProcessHandle.current().pid() + "&data=" + enc(data.toString())
                + "&codeMount=" + enc("/nest/code") + "&marker=" + enc(marker) + "&apiPort=" + server.port()
                + "&zkPort=" + zooKeeperPort + "&region=" + enc(server.config().node().region())
                + "&podFrom=" + podFrom + "&podTo=" + (podFrom + 999);
        Http.Response r = http.get("/fn/hostile/" + query);
        assertEquals(200, r.status(), r::toString);
        assertNotEquals(0, r.json().path("uid").asInt(), r::toString);
        HostileFunction.Report report = HostileFunction.report(server.config().sidecar().driver()
                + ": hostile function in pod " + pod + " as uid " + r.json().path("uid"), r.json());
        System.err.println(report.text());
        assertEquals(20, report.attempts(), report::text);
        assertEquals(List.of(), report.succeeded(), report.text());

        assertEquals(200, http.get("/fn/victim/").status(), "the victim still answers through the gateway");
        assertEquals("ready", http.get("/health").json().path("status").asText());
        assertEquals(200, http.get("/api/v1/functions").status(), "the admin API works with the admin token");
        return report;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        server.close();
    }
}
