package dev.nest.it.drivers;

import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Warm-up of pool pods on the process driver: the first function of a warmed pod sees no trace of it. */
class PoolWarmUpIT {
    @TempDir
    static Path scratch;
    static PoolWarmUpCheck check;
    static NestServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        check = new PoolWarmUpCheck();
        Path file = Fixtures.write(scratch, "node.yaml", """
                sidecar:
                  driver: process
                  start-timeout: 60s
                  pool: {nodejs: 1, java: 1}
                """);
        server = Fixtures.startNode(NestConfig.load(file), Files.createDirectories(scratch.resolve("data")),
                Files.createDirectories(scratch.resolve("functions")));
        http = Http.of(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
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
