package dev.nest.it.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import containerd.services.containers.v1.Container;
import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Nest node with {@code sidecar.driver: containerd}, end to end: a Node.js function deployed through the
 * admin API answers through the gateway from a containerd pod (non-root, read-only root, read-only code that holds
 * its own version only: another function's code is out of its reach), the node's {@code /health} names the driver,
 * and closing the node leaves no container of it in containerd and no pod code directory on the host.
 */
class ContainerdNodeIT {
    @TempDir
    static Path scratch;
    static String nodeId;
    static NestServer server;
    static Http http;

    static final String NODE_FN = """
            const fs = require('fs');
            function tryWrite(p) { try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } }
            function tryRead(p) { try { fs.readFileSync(p); return 'ok'; } catch (e) { return e.code; } }
            exports.handler = async (event) => ({
              lang: 'node', uid: process.getuid(), pod: process.env.NEST_POD_ID, dir: __dirname, path: event.path,
              root: tryWrite('/nest-probe'), code: tryWrite(__dirname + '/probe'),
              listing: fs.readdirSync('/nest/code'), read: tryRead(event.path),
            });
            """;

    @BeforeAll
    static void start() throws Exception {
        ContainerdClient.requireContainerdAndImages("docker.io/nest/runtime-nodejs:latest");
        nodeId = "it-ctrd-node-" + UUID.randomUUID().toString().substring(0, 8);
        String yaml = """
                node:
                  id: %s
                sidecar:
                  driver: containerd
                  start-timeout: 60s
                  stop-grace: 2s
                  drivers:
                    containerd:
                      address: "%s"
                """.formatted(nodeId, ContainerdClient.address());
        Path file = Fixtures.write(scratch, nodeId + ".yaml", yaml);
        // the pods run as nobody: the node's code directory must be readable by others
        Files.setPosixFilePermissions(scratch, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        server = Fixtures.startNode(NestConfig.load(file), Files.createDirectories(scratch.resolve("data")),
                Files.createDirectories(scratch.resolve("functions")));
        http = Http.of(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (nodeId != null) {
            ContainerdClient.get().removeAllOfNode(nodeId);
        }
    }

    @Test
    void aNodeFunctionAnswersThroughTheGatewayFromAContainerdPod() {
        JsonNode h = http.get("/health").json();
        assertEquals("containerd", h.path("driver").path("name").asText(), h::toString);
        assertTrue(h.path("driver").path("healthy").asBoolean(), h::toString);

        http.deploy("cn", Map.of("runtime", "nodejs", "deploy", "dedicated", "handler", "index.handler", "memory", 128, "timeout", "20s"),
                Fixtures.zip(scratch, Map.of("index.js", NODE_FN)));

        Http.Response r = http.get("/fn/cn/hello");
        assertEquals(200, r.status(), r::toString);
        JsonNode body = r.json();
        assertEquals("node", body.path("lang").asText(), r::toString);
        assertEquals(65534, body.path("uid").asInt(), "non-root: " + r);
        assertEquals("EROFS", body.path("root").asText(), "read-only root: " + r);
        assertEquals("EROFS", body.path("code").asText(), "read-only code: " + r);
        assertTrue(body.path("dir").asText().startsWith("/nest/code/"), r::toString);

        List<Container> mine = Poll.until("a containerd container of function default/cn", () -> ContainerdClient.get()
                .containersOfNode(nodeId), l -> l.stream().anyMatch(c -> "default/cn".equals(c.getLabelsMap().get("dev.nest.function"))));
        Container c = mine.stream().filter(x -> "default/cn".equals(x.getLabelsMap().get("dev.nest.function"))).findFirst().orElseThrow();
        assertEquals(body.path("pod").asText(), c.getLabelsMap().get("dev.nest.pod"));
        assertEquals(128L << 20, ContainerdClient.get().spec(ContainerdClient.get().containers().get(
                containerd.services.containers.v1.GetContainerRequest.newBuilder().setId(c.getId()).build()).getContainer())
                .path("linux").path("resources").path("memory").path("limit").asLong(), "the function's memory is the limit");

        // another function, with other code: its pod has it, cn's must not
        http.deploy("co", Map.of("runtime", "nodejs", "deploy", "dedicated", "handler", "index.handler", "memory", 128, "timeout", "20s"),
                Fixtures.zip(scratch, Map.of("index.js", "// co\n" + NODE_FN)));
        Http.Response o = http.get("/fn/co/x");
        assertEquals(200, o.status(), o::toString);
        String otherCode = o.json().path("dir").asText();
        assertTrue(otherCode.startsWith("/nest/code/") && !otherCode.equals(body.path("dir").asText()), o::toString);
        Http.Response probe = http.get("/fn/cn" + otherCode + "/index.js");
        assertEquals(200, probe.status(), probe::toString);
        JsonNode seen = probe.json();
        assertEquals(otherCode + "/index.js", seen.path("path").asText(), probe::toString);
        assertEquals("ENOENT", seen.path("read").asText(), "another function's code is out of the pod's reach: " + probe);
        assertEquals(List.of(seen.path("dir").asText().substring("/nest/code/".length()).split("/")[0]),
                Http.JSON.convertValue(seen.path("listing"), List.class), "/nest/code holds the pod's own version only: " + probe);

        server.close();
        server = null;
        assertEquals(List.of(), ContainerdClient.get().containersOfNode(nodeId), "closing the node removes its pods");
        Path podDirs = scratch.resolve("data/containerd/pods");
        Poll.until("closing the node removes its pods' code directories", () -> {
            try (var left = Files.exists(podDirs) ? Files.list(podDirs) : java.util.stream.Stream.<Path>empty()) {
                return left.toList();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, List::isEmpty);
    }
}
