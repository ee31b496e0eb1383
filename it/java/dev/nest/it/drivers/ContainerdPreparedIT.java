package dev.nest.it.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import containerd.services.containers.v1.Container;
import dev.nest.it.HostPods;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.DriverContext;
import dev.nest.spi.Pod;
import dev.nest.spi.PodSpec;
import dev.nest.spi.SandboxDriver;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The containerd driver with {@code prepared: 1} against a real containerd: a start after the first one takes the
 * prepared container (created task) and only starts it, with the pod's own environment, output and code view; a
 * closed driver leaves nothing; a node that restarts (a new driver, the old one gone without closing) removes the
 * prepared containers of its previous run.
 */
class ContainerdPreparedIT {
    private static final String IMAGE = "docker.io/nest/runtime-nodejs:latest";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path scratch;
    private String node;
    private final List<SandboxDriver> drivers = new ArrayList<>();

    @BeforeEach
    void engine() {
        ContainerdClient.requireContainerdAndImages(IMAGE);
        node = "prepit" + Integer.toHexString(ThreadLocalRandom.current().nextInt() & 0xffffff);
    }

    @AfterEach
    void cleanUp() {
        drivers.forEach(SandboxDriver::close);
        if (node != null) {
            ContainerdClient.get().removeAllOfNode(node);
        }
    }

    private SandboxDriver driver(String data) {
        SandboxDriver d = HostPods.driver("containerd", new DriverContext(node, scratch.resolve(data),
                Map.of("address", ContainerdClient.address(), "prepared", "1")));
        drivers.add(d);
        return d;
    }

    private List<Container> prepared() {
        return ContainerdClient.get().containersOfNode(node).stream()
                .filter(c -> "true".equals(c.getLabelsMap().get("dev.nest.prepared"))).toList();
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what);
            }
            Thread.sleep(50);
        }
    }

    private record Started(Pod pod, PodSpec spec, List<String> lines) {
    }

    private Started start(SandboxDriver d, String podId) throws Exception {
        RuntimeRegistry runtimes = RuntimeRegistry.load(Path.of("runtimes").toAbsolutePath());
        RuntimeDefinition rt = runtimes.require("nodejs");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String secret = HostPods.secret();
        Path codeRoot = Files.createDirectories(scratch.resolve("code"));
        PodSpec spec = HostPods.spec(runtimes, rt, podId, port, secret, codeRoot, 1.0, 256,
                Map.of("dev.nest.function", "it/prepared", "dev.nest.version", "1"), scratch.resolve("work-" + podId));
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Pod pod = d.start(spec, (id, stderr, line) -> lines.add(id + ": " + line));
        URI health = URI.create("http://127.0.0.1:" + port + "/health");
        await("pod " + podId + " answers /health with its secret (output: " + lines + ")", () -> {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(health).header("X-Nest-Secret", secret)
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"ready\":true");
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        });
        return new Started(pod, spec, lines);
    }

    @Test
    void aStartTakesThePreparedContainerWithThePodsEnvironmentOutputAndCode() throws Exception {
        SandboxDriver d = driver("data");
        Started first = start(d, "first");
        assertTrue(first.pod().describe().contains("lease"), "the first start of a shape makes its container: "
                + first.pod().describe());
        // ready in the driver (its task made), not only listed in containerd (its record is made before the task)
        await("a prepared container after the first start", () -> d.health().detail().contains(", 1 prepared"));
        String preparedId = prepared().getFirst().getId();

        Started second = start(d, "second");
        assertTrue(second.pod().describe().contains("container " + preparedId), second.pod().describe());
        assertFalse(second.pod().describe().contains("lease"), "only the task's start: " + second.pod().describe());
        // the secret and port came from the environment file: /health answered above with the pod's secret
        await("the host's output under the pod's id", () -> second.lines().stream().anyMatch(l -> l.startsWith("second: ")));
        assertTrue(second.lines().stream().noneMatch(l -> l.startsWith(preparedId)), second.lines().toString());

        Path version = Files.createDirectories(second.spec().codeRoot().resolve("sha256-abc"));
        Files.writeString(version.resolve("index.js"), "exports.handler = async () => 1;");
        String inPod = d.pathInPod(second.spec(), version);
        assertEquals("/nest/code/sha256-abc", inPod);
        assertTrue(Files.exists(scratch.resolve("data/containerd/pods/" + preparedId + "/code/sha256-abc/index.js")),
                "the version is linked into the prepared container's code directory");

        second.pod().stop(Duration.ofSeconds(2));
        first.pod().stop(Duration.ofSeconds(2));
        await("the used prepared container is removed with its pod", () -> ContainerdClient.get().containersOfNode(node)
                .stream().noneMatch(c -> c.getId().equals(preparedId)));
        await("a new prepared container", () -> d.health().detail().contains(", 1 prepared"));

        drivers.remove(d);
        d.close();
        assertEquals(List.of(), ContainerdClient.get().containersOfNode(node), "close removes the prepared container");
        assertEquals(List.of(), ContainerdClient.get().snapshotsOfNode(node));
        assertEquals(List.of(), ContainerdClient.get().leasesOfNode(node));
    }

    @Test
    void aRestartedNodeRemovesThePreparedContainersOfItsPreviousRun() throws Exception {
        SandboxDriver crashed = driver("data");
        start(crashed, "before-crash").pod().stop(Duration.ofSeconds(2));
        await("a prepared container", () -> crashed.health().detail().contains(", 1 prepared"));

        SandboxDriver restarted = driver("data");
        restarted.removeOrphans(node);
        assertEquals(List.of(), prepared(), "the previous run's prepared container is an orphan");
        assertEquals(List.of(), ContainerdClient.get().snapshotsOfNode(node));
        assertEquals(List.of(), ContainerdClient.get().leasesOfNode(node));
    }
}
