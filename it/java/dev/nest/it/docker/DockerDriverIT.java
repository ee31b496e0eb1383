package dev.nest.it.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import dev.nest.NestServer;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node with {@code sidecar.driver: docker} against a real Docker engine and the runtime images built by
 * {@code distribution/images/build.sh}: a Node.js and a Java function answer from containers, the engine's
 * view of each container shows the hardening (memory, swap, CPU, pids, read-only root, user, capabilities,
 * no-new-privileges, host network, read-only code mount), a container killed from outside is replaced, closing
 * the node leaves no container of it behind, and a restarted node removes its orphans and only those.
 *
 * <p>The tests run in order on one node (containers are slow to make; the suite takes well under a minute).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerDriverIT {
    @TempDir
    static Path scratch;

    static String nodeId;
    static NestServer server;
    static Http http;

    static final String NODE_FN = """
            const fs = require('fs');
            function tryWrite(p) { try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } }
            exports.handler = async () => ({
              lang: 'node', pod: process.env.NEST_POD_ID, uid: process.getuid(), gid: process.getgid(),
              root: tryWrite('/nest-probe'), tmp: tryWrite('/tmp/nest-probe'), code: tryWrite(__dirname + '/probe'),
              dir: __dirname, listing: fs.readdirSync('/nest/code'),
            });
            """;

    static final String JAVA_FN = """
            import dev.nest.fn.Context;
            import java.nio.file.Files;
            import java.nio.file.Path;
            import java.util.Map;

            public class Handler {
                public Map<String, Object> handle(Map<String, Object> event, Context context) {
                    return Map.of("lang", "java", "pod", System.getenv("NEST_POD_ID"),
                            "user", System.getProperty("user.name"), "java", Runtime.version().feature(),
                            "root", tryWrite(Path.of("/nest-probe")), "tmp", tryWrite(Path.of("/tmp/nest-probe")));
                }

                static String tryWrite(Path p) {
                    try {
                        Files.writeString(p, "x");
                        return "ok";
                    } catch (Exception e) {
                        return e.getClass().getSimpleName();
                    }
                }
            }
            """;

    @BeforeAll
    static void start() {
        DockerEngines.requireDocker();
        DockerEngines.requireImages(DockerEngines.NODEJS_IMAGE, DockerEngines.JAVA_IMAGE);
        nodeId = "it-docker-" + UUID.randomUUID().toString().substring(0, 8);
        server = DockerNodes.start(scratch, nodeId, Map.of());
        http = Http.of(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (nodeId != null) {
            DockerNodes.removeAll(nodeId);
        }
    }

    /**
     * The one running container of pod {@code podId} on this node (found by its pod label: a pod taken from the warm
     * pool was created before it knew its function, so it carries the pool's labels, not the function's).
     */
    static InspectContainerResponse containerOf(String podId) {
        List<Container> list = Poll.until("one running container of pod " + podId, () -> DockerEngines.client()
                        .listContainersCmd().withLabelFilter(Map.of("dev.nest.node", nodeId, "dev.nest.pod", podId))
                        .exec(), l -> l.size() == 1);
        return DockerEngines.client().inspectContainerCmd(list.get(0).getId()).exec();
    }

    @Test
    @Order(1)
    void healthNamesTheDockerDriver() {
        JsonNode h = http.get("/health").json();
        assertEquals("docker", h.path("driver").path("name").asText(), h::toString);
        assertTrue(h.path("driver").path("healthy").asBoolean(), h::toString);
        assertEquals("ready", h.path("status").asText(), h::toString);
    }

    @Test
    @Order(2)
    void nodeAndJavaFunctionsAnswerFromHardenedContainers() {
        DockerNodes.deploy(http, scratch, "dn", "nodejs", "index.handler", 128, Map.of("index.js", NODE_FN));
        DockerNodes.deploy(http, scratch, "dj", "java", "Handler", 256, Map.of("Handler.java", JAVA_FN));

        Http.Response n = http.get("/fn/dn");
        assertEquals(200, n.status(), n::toString);
        JsonNode node = n.json();
        assertEquals("node", node.path("lang").asText(), n::toString);
        assertEquals(65534, node.path("uid").asInt(), "non-root: " + n);
        assertEquals(65534, node.path("gid").asInt(), "non-root: " + n);
        assertEquals("EROFS", node.path("root").asText(), "read-only root filesystem: " + n);
        assertEquals("ok", node.path("tmp").asText(), "writable /tmp: " + n);
        assertEquals("EROFS", node.path("code").asText(), "read-only code: " + n);
        assertTrue(node.path("dir").asText().startsWith("/nest/code/"), "code under /nest/code: " + n);
        assertEquals(List.of(node.path("dir").asText().substring("/nest/code/".length()).split("/")[0]),
                Http.JSON.convertValue(node.path("listing"), List.class), "/nest/code holds the pod's own version only "
                        + "(not dj's): " + n);

        Http.Response j = http.get("/fn/dj");
        assertEquals(200, j.status(), j::toString);
        JsonNode java = j.json();
        assertEquals("java", java.path("lang").asText(), j::toString);
        assertEquals("nobody", java.path("user").asText(), "non-root: " + j);
        assertTrue(java.path("java").asInt() >= 21, j::toString);
        assertEquals("ok", java.path("tmp").asText(), "writable /tmp: " + j);
        assertTrue(java.path("root").asText().contains("FileSystemException") || java.path("root").asText().contains("AccessDenied"),
                "read-only root filesystem: " + j);

        assertHardened(containerOf(node.path("pod").asText()), 128, node.path("pod").asText());
        assertHardened(containerOf(java.path("pod").asText()), 256, java.path("pod").asText());
    }

    static void assertHardened(InspectContainerResponse c, long memoryMb, String podId) {
        String what = c.getName() + " " + c.getHostConfig();
        HostConfig h = c.getHostConfig();
        assertEquals(memoryMb * 1024 * 1024, h.getMemory(), "memory limit = the function's memory: " + what);
        assertEquals(memoryMb * 1024 * 1024, h.getMemorySwap(), "no swap: " + what);
        assertEquals(1_000_000_000L, h.getNanoCPUs(), "CPU quota: " + what);
        assertEquals(256L, h.getPidsLimit(), "pids limit: " + what);
        assertEquals(Boolean.TRUE, h.getReadonlyRootfs(), "read-only root: " + what);
        assertEquals("host", h.getNetworkMode(), "host network: " + what);
        assertTrue(Arrays.asList(h.getCapDrop()).contains(Capability.ALL), "all capabilities dropped: " + what);
        assertTrue(h.getCapAdd() == null || h.getCapAdd().length == 0, "no capability added: " + what);
        assertTrue(h.getSecurityOpts().stream().anyMatch(o -> o.startsWith("no-new-privileges")), "no-new-privileges: " + what);
        assertFalse(Boolean.TRUE.equals(h.getPrivileged()), "not privileged: " + what);
        assertTrue(h.getTmpFs().containsKey("/tmp"), "tmpfs /tmp: " + what);
        assertEquals("65534:65534", c.getConfig().getUser(), "non-root user: " + what);
        InspectContainerResponse.Mount code = c.getMounts().stream()
                .filter(m -> m.getDestination() != null && "/nest/code".equals(m.getDestination().getPath()))
                .findFirst().orElse(null);
        assertNotNull(code, "code mounted at /nest/code: " + c.getMounts());
        assertEquals(Boolean.FALSE, code.getRW(), "code mounted read-only: " + c.getMounts());
        assertTrue(code.getSource().endsWith("/docker/pods" + c.getName() + "/code"),
                "the pod's own code directory, not the node's code root: " + code.getSource());
        // besides the code, at most the pod's own host-socket directory (writable: the host binds its socket there)
        for (InspectContainerResponse.Mount m : c.getMounts()) {
            String dest = m.getDestination() == null ? "" : m.getDestination().getPath();
            if ("/nest/code".equals(dest)) {
                continue;
            }
            assertEquals("/nest/host", dest, "no other mounts: " + c.getMounts());
            assertTrue(m.getSource().endsWith("/docker/pods" + c.getName() + "/host"),
                    "the pod's own socket directory, not a node directory: " + m.getSource());
        }
        assertTrue(c.getMounts().size() <= 2, "no other mounts: " + c.getMounts());
        Map<String, String> labels = c.getConfig().getLabels();
        assertEquals("nest", labels.get("dev.nest.owner"), labels::toString);
        assertEquals(nodeId, labels.get("dev.nest.node"), labels::toString);
        assertEquals(podId, labels.get("dev.nest.pod"), "the container is the pod that answered: " + labels);
    }

    @Test
    @Order(3)
    void aContainerKilledFromOutsideIsReplaced() {
        Http.Response before = http.get("/fn/dn");
        assertEquals(200, before.status(), before::toString);
        String oldPod = before.json().path("pod").asText();
        InspectContainerResponse old = containerOf(oldPod);

        DockerEngines.client().killContainerCmd(old.getId()).exec();
        Poll.until("the node to notice that instance " + oldPod + " died", () -> http.get("/api/v1/functions/dn/instances").text(),
                list -> !list.contains(oldPod));

        Http.Response after = http.get("/fn/dn");
        assertEquals(200, after.status(), "the next invocation is served by a new container: " + after);
        String newPod = after.json().path("pod").asText();
        assertNotEquals(oldPod, newPod, after::toString);
        assertEquals(newPod, containerOf(newPod).getConfig().getLabels().get("dev.nest.pod"), "serves from the new container");
        Poll.until("the killed container removed", () -> DockerEngines.containers(Map.of("dev.nest.pod", oldPod)),
                List::isEmpty);
    }

    @Test
    @Order(4)
    void closingTheNodeLeavesNoContainerBehind() {
        assertFalse(DockerEngines.containers(DockerNodes.labels(nodeId)).isEmpty(), "the node runs containers before closing");
        server.close();
        server = null;
        List<Container> left = DockerEngines.containers(DockerNodes.labels(nodeId));
        assertTrue(left.isEmpty(), "containers of node " + nodeId + " after close: "
                + left.stream().map(c -> Arrays.toString(c.getNames()) + " " + c.getState()).toList());
    }

    @Test
    @Order(5)
    void aRestartedNodeRemovesItsOrphansAndOnlyThose() {
        String id = "it-orphans-" + UUID.randomUUID().toString().substring(0, 8);
        String other = id + "-other";
        // what a node killed with -9 leaves: a labelled container (running) and one that already stopped
        String orphan = sleeper("nest-" + id + "-orphan", Map.of("dev.nest.owner", "nest", "dev.nest.node", id), true);
        String stopped = sleeper("nest-" + id + "-stopped", Map.of("dev.nest.owner", "nest", "dev.nest.node", id), false);
        // not ours to touch: another node's container, and one that only claims the node label
        String otherNode = sleeper("nest-" + other, Map.of("dev.nest.owner", "nest", "dev.nest.node", other), true);
        String notNest = sleeper("nest-" + id + "-foreign", Map.of("dev.nest.node", id), true);
        NestServer restarted = null;
        try {
            restarted = DockerNodes.start(scratch, id, Map.of());
            List<String> left = DockerEngines.containers(Map.of("dev.nest.node", id)).stream().map(Container::getId).toList();
            assertFalse(left.contains(orphan), "the running orphan is removed");
            assertFalse(left.contains(stopped), "the stopped orphan is removed");
            assertTrue(left.contains(notNest), "a container without dev.nest.owner=nest is kept");
            assertEquals(1, DockerEngines.containers(Map.of("dev.nest.node", other)).size(), "another node's container is kept");
        } finally {
            if (restarted != null) {
                restarted.close();
            }
            for (String c : List.of(orphan, stopped, otherNode, notNest)) {
                try {
                    DockerEngines.client().removeContainerCmd(c).withForce(true).exec();
                } catch (RuntimeException ignored) {
                    // removed by the test's subject
                }
            }
        }
    }

    /** A container of the Node.js image that only sleeps, with {@code labels}; started or only created. */
    static String sleeper(String name, Map<String, String> labels, boolean start) {
        String id = DockerEngines.client().createContainerCmd(DockerEngines.NODEJS_IMAGE).withName(name)
                .withEntrypoint("sleep", "300").withLabels(labels)
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("host")).exec().getId();
        if (start) {
            DockerEngines.client().startContainerCmd(id).exec();
        }
        return id;
    }
}
