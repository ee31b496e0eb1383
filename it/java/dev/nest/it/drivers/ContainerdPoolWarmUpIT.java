package dev.nest.it.drivers;

import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm-up of pool pods on the containerd driver: the first function of a warmed pod sees no trace of it. Needs the
 * runtime images built from this tree ({@code distribution/images/build.sh}, then {@code load-containerd.sh}).
 */
class ContainerdPoolWarmUpIT {
    @TempDir
    static Path scratch;
    static PoolWarmUpCheck check;
    static NestServer server;
    static Http http;
    static String nodeId;

    @BeforeAll
    static void start() throws Exception {
        ContainerdClient.requireContainerdAndImages("docker.io/nest/runtime-nodejs:latest",
                "docker.io/nest/runtime-java:latest");
        check = new PoolWarmUpCheck();
        nodeId = "it-ctrd-warm-" + UUID.randomUUID().toString().substring(0, 8);
        Path file = Fixtures.write(scratch, nodeId + ".yaml", """
                node:
                  id: %s
                sidecar:
                  driver: containerd
                  start-timeout: 60s
                  stop-grace: 2s
                  pool: {nodejs: 1, java: 1}
                  drivers:
                    containerd:
                      address: "%s"
                """.formatted(nodeId, ContainerdClient.address()));
        Files.setPosixFilePermissions(scratch, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        server = Fixtures.startNode(NestConfig.load(file), Files.createDirectories(scratch.resolve("data")),
                Files.createDirectories(scratch.resolve("functions")));
        http = Http.of(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (nodeId != null) ContainerdClient.get().removeAllOfNode(nodeId);
        if (check != null) check.close();
    }

    @Test
    void aNodeJsFunctionSeesNoTraceOfTheWarmUp() {
        check.check(http, scratch, "nodejs");
    }

    @Test
    void aJavaFunctionSeesNoTraceOfTheWarmUp() {
        check.check(http, scratch, "java");
    }
}
