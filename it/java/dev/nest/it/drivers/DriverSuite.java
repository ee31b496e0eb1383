package dev.nest.it.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.HostPods;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.DriverContext;
import dev.nest.spi.DriverHealth;
import dev.nest.spi.Pod;
import dev.nest.spi.PodSpec;
import dev.nest.spi.SandboxDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The behaviour every {@link SandboxDriver} owes the node agent, checked against a real engine: a subclass
 * names the driver and says how to read the engine's own view (the limits it applied, what it still holds of
 * a node, how to kill a pod behind the driver's back).
 *
 * <p>Each test starts its own pods through the driver, made through {@link ServiceLoader} as the node agent
 * makes it, with pod specs like the node agent's: a Node.js and a Java pod answer {@code /health}, load a
 * function with {@code POST /load} from the read-only code directory and run it; the engine shows the limits
 * and hardening; a container pod sees only the code loaded into it; a pod killed from outside completes
 * {@link Pod#exited()}; a stopped pod leaves nothing; pods of a driver dropped without being closed (a crash) are
 * removed by a new driver's {@code removeOrphans}, and the pods of another node are left alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public abstract class DriverSuite {
    static final String NODE_FN = """
            const fs = require('fs');
            function tryWrite(p) { try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } }
            exports.handler = async (event) => ({
              lang: 'node', pod: process.env.NEST_POD_ID, uid: process.getuid(), path: event.path,
              root: tryWrite('/nest-probe'), tmp: tryWrite('/tmp/nest-probe-' + process.pid),
              code: tryWrite(__dirname + '/probe'),
              seccomp: (fs.readFileSync('/proc/self/status', 'utf8').match(/^Seccomp:\\s*(\\d+)/m) || [])[1],
              userns: (() => { const r = require('child_process').spawnSync('unshare', ['-U', 'true']);
                               return r.error ? r.error.code : String(r.status); })(),
            });
            """;

    /** Lists {@code /nest/code} and tries to read {@code event.path} as it is and under {@code /nest/code}. */
    static final String PROBE_FN = """
            const fs = require('fs');
            function tryRead(p) { try { fs.readFileSync(p); return 'ok'; } catch (e) { return e.code; } }
            exports.handler = async (event) => ({
              listing: fs.readdirSync('/nest/code'), read: tryRead(event.path), underMount: tryRead('/nest/code' + event.path),
            });
            """;

    static final String JAVA_FN = """
            import dev.nest.fn.Context;
            import java.util.Map;

            public class Handler {
                public Map<String, Object> handle(Map<String, Object> event, Context context) {
                    return Map.of("lang", "java", "pod", String.valueOf(System.getenv("NEST_POD_ID")),
                            "java", Runtime.version().feature());
                }
            }
            """;

    protected Path scratch;
    protected String nodeId;
    protected SandboxDriver driver;
    protected RuntimeRegistry runtimes;
    private Path codeRoot;
    private final List<Pod> started = new CopyOnWriteArrayList<>();
    private final List<SandboxDriver> extraDrivers = new CopyOnWriteArrayList<>();
    private final Map<SandboxDriver, String> nodes = new java.util.concurrent.ConcurrentHashMap<>();
    /** Every pod started through a driver of the node, by node id (for {@link #leftovers}). */
    protected final Map<String, List<Started>> startedByNode = new java.util.concurrent.ConcurrentHashMap<>();

    /** The driver's name in {@code sidecar.driver}. */
    protected abstract String driverName();

    /** Skips (or fails, see {@link Engines}) when the engine is missing. */
    protected abstract void requireEngine();

    /** The driver's options ({@code sidecar.drivers.<name>}). */
    protected Map<String, String> options() {
        return Map.of();
    }

    /**
     * Checks the engine's record of {@code pod} against {@code spec}: memory, CPU, pids, user, read-only root,
     * capabilities, no-new-privileges, host network, read-only code mount. Drivers without such a record say
     * so on stderr and return.
     */
    protected abstract void assertLimits(Pod pod, PodSpec spec);

    /** Kills the pod's processes behind the driver's back (SIGKILL through the engine or the OS). */
    protected abstract void killFromOutside(Pod pod);

    /** What the engine still holds of node {@code nodeId} (containers, tasks, snapshots, processes...), described. */
    protected abstract List<String> leftovers(String nodeId);

    /** Removes whatever {@link #leftovers} lists (test cleanup, best effort). */
    protected abstract void removeAll(String nodeId);

    /**
     * Whether the driver's pods see code only at {@code /nest/code}, and there only the versions loaded into them
     * (container drivers); the suite then checks that a pod cannot see any other code.
     */
    protected boolean podsSeeOnlyTheirCode() {
        return false;
    }

    @BeforeAll
    void setUp() throws IOException {
        Engines.requireNode();
        requireEngine();
        scratch = Files.createTempDirectory("nest-driver-" + driverName() + "-");
        // container pods run as nobody: the code directory must be readable by others, as the node's is
        Files.setPosixFilePermissions(scratch, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        nodeId = "it-" + driverName() + "-" + UUID.randomUUID().toString().substring(0, 8);
        runtimes = RuntimeRegistry.load(Fixtures.runtimesDir());
        codeRoot = Files.createDirectories(scratch.resolve("code"));
        driver = newDriver(nodeId);
    }

    @AfterAll
    void tearDown() {
        for (Pod p : started) {
            try {
                p.stop(Duration.ZERO);
            } catch (RuntimeException ignored) {
                // reported by the test that made it
            }
        }
        if (driver != null) {
            driver.close();
        }
        extraDrivers.forEach(SandboxDriver::close);
        if (nodeId != null) {
            removeAll(nodeId);
            removeAll(nodeId + "-other");
        }
    }

    protected SandboxDriver newDriver(String node) {
        SandboxDriver d = HostPods.driver(driverName(), new DriverContext(node, scratch.resolve("data-" + node), options()));
        nodes.put(d, node);
        return d;
    }

    // ---- tests ---------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void healthIsUp() {
        DriverHealth h = driver.health();
        assertTrue(h.healthy(), h.detail());
        assertFalse(h.detail().isBlank());
    }

    @Test
    @Order(2)
    void aNodePodLoadsAndRunsAFunction() throws IOException {
        Started s = start(driver, "nodejs");
        Path dir = Files.createDirectories(codeRoot.resolve("node-fn-" + s.spec.podId()));
        Files.writeString(dir.resolve("index.js"), NODE_FN);
        load(s, dir, "index.handler");
        JsonNode r = invoke(s, "/hello");
        assertEquals("node", r.path("lang").asText(), r.toString());
        assertEquals(s.spec.podId(), r.path("pod").asText());
        assertEquals("/hello", r.path("path").asText());
        assertEquals("ok", r.path("tmp").asText(), "/tmp is writable: " + r);
        assertContained(r);
        assertTrue(s.lines.stream().anyMatch(l -> l.contains("listening")), "the host's output reaches the listener: " + s.lines);
        s.pod.stop(Duration.ofSeconds(2));
    }

    @Test
    @Order(2)
    void aContainerSeesOnlyTheCodeLoadedIntoIt() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(podsSeeOnlyTheirCode(), driverName() + " pods see the host's files");
        Path other = Files.createDirectories(codeRoot.resolve("other-fn"));
        Files.writeString(other.resolve("secret.js"), "exports.handler = async () => 'secret';");
        Started s = start(driver, "nodejs");
        Started neighbour = start(driver, "nodejs");
        Path dir = Files.createDirectories(codeRoot.resolve("probe-fn-" + s.spec.podId()));
        Files.writeString(dir.resolve("index.js"), PROBE_FN);
        load(driver, neighbour, other, "secret.handler");
        load(driver, s, dir, "index.handler");

        JsonNode r = invoke(s, "/other-fn/secret.js");
        assertEquals(List.of(dir.getFileName().toString()), Http.JSON.convertValue(r.path("listing"), List.class),
                "/nest/code holds the pod's own version only: " + r);
        assertEquals("ENOENT", r.path("underMount").asText(), "another function's code is not in the pod: " + r);
        assertEquals("ENOENT", invoke(s, other.resolve("secret.js").toString()).path("read").asText(),
                "nor is the node's code directory at its host path");
        assertEquals("ok", invoke(s, "/" + dir.getFileName() + "/index.js").path("underMount").asText(), "its own code is");
        assertFalse(codeLeftIn(nodeId).isEmpty(), "the pods' views are on the host while they run");

        s.pod.stop(Duration.ofSeconds(2));
        neighbour.pod.stop(Duration.ofSeconds(2));
        Poll.until("a stopped pod's view of the code is gone", Duration.ofSeconds(10), () -> codeLeftIn(nodeId), List::isEmpty);
        assertTrue(Files.exists(dir.resolve("index.js")) && Files.exists(other.resolve("secret.js")), "the code store keeps its files");
    }

    @Test
    @Order(3)
    void aJavaPodLoadsAndRunsAFunction() throws IOException {
        Started s = start(driver, "java");
        Path dir = Files.createDirectories(codeRoot.resolve("java-fn-" + s.spec.podId()));
        compile(dir, JAVA_FN);
        load(s, dir, "Handler");
        JsonNode r = invoke(s, "/");
        assertEquals("java", r.path("lang").asText(), r.toString());
        assertEquals(s.spec.podId(), r.path("pod").asText());
        s.pod.stop(Duration.ofSeconds(2));
    }

    @Test
    @Order(4)
    void theEngineAppliesTheLimitsAndTheHardening() {
        Started s = start(driver, "nodejs");
        assertLimits(s.pod, s.spec);
        s.pod.stop(Duration.ofSeconds(2));
    }

    @Test
    @Order(4)
    void aPodReportsItsCpuTimeAndMemoryUntilItStops() {
        Started s = start(driver, "nodejs");
        dev.nest.spi.PodUsage first = driver.usage(s.pod).orElseThrow(() -> new AssertionError(
                driverName() + " reads no usage of " + s.pod.describe()));
        assertTrue(first.cpuNanos() > 0, "the host used CPU to start: " + first);
        assertTrue(first.memoryBytes() > 4L * 1024 * 1024 && first.memoryBytes() < 2 * s.spec.memoryBytes() + (64L << 20),
                "a Node.js host's working set: " + first);
        Http http = new Http("http://127.0.0.1:" + s.spec.port());
        assertEquals(200, http.send(http.request("/health").header("X-Nest-Secret", s.secret).GET()).status());
        dev.nest.spi.PodUsage second = driver.usage(s.pod).orElseThrow();
        assertTrue(second.cpuNanos() >= first.cpuNanos(), "cumulative CPU time: " + first + " then " + second);
        s.pod.stop(Duration.ofSeconds(2));
        assertTrue(driver.usage(s.pod).isEmpty(), "a stopped pod reads as empty");
    }

    @Test
    @Order(5)
    void aPodKilledFromOutsideIsNoticed() throws Exception {
        Started s = start(driver, "nodejs");
        killFromOutside(s.pod);
        int code = s.pod.exited().get(30, TimeUnit.SECONDS);
        assertTrue(code != 0, "a killed pod does not exit with 0 (" + code + ")");
        s.pod.stop(Duration.ZERO);
    }

    @Test
    @Order(6)
    void aStoppedPodLeavesNothingBehind() throws Exception {
        List<Started> pods = List.of(start(driver, "nodejs"), start(driver, "java"));
        assertFalse(leftovers(nodeId).isEmpty(), "the engine shows the running pods");
        for (Started s : pods) {
            s.pod.stop(Duration.ofSeconds(2));
            assertTrue(s.pod.exited().isDone(), "stop returns once the pod is gone");
            assertFalse(listening(s.spec.port()), "the host no longer listens");
        }
        assertEquals(List.of(), leftovers(nodeId));
    }

    @Test
    @Order(7)
    void aNewDriverRemovesThePodsOfACrashedOneAndOnlyThose() throws IOException {
        String crashed = nodeId + "-crashed";
        String other = nodeId + "-other";
        SandboxDriver first = newDriver(crashed);
        SandboxDriver bystander = newDriver(other);
        extraDrivers.add(bystander);
        Started a = start(first, "nodejs");
        Started b = start(first, "nodejs");
        Started c = start(bystander, "nodejs");
        started.removeAll(List.of(a.pod, b.pod));
        if (podsSeeOnlyTheirCode()) {
            Path dir = Files.createDirectories(codeRoot.resolve("crashed-fn-" + a.spec.podId()));
            Files.writeString(dir.resolve("index.js"), NODE_FN);
            load(first, a, dir, "index.handler");
            assertFalse(codeLeftIn(crashed).isEmpty());
        }
        // "crash": the first driver is dropped without stop or close; its pods keep running
        assertTrue(listening(a.spec.port()), "the dropped driver's pod still runs");
        assertFalse(leftovers(crashed).isEmpty());

        SandboxDriver second = newDriver(crashed);
        try {
            assertEquals(2, second.removeOrphans(crashed));
            // a driver may signal and return before the processes are gone (the process driver does)
            Poll.until("the crashed node's pods are gone", Duration.ofSeconds(15), () -> leftovers(crashed), List::isEmpty);
            assertFalse(listening(a.spec.port()) || listening(b.spec.port()), "the orphans' hosts are gone");
            assertTrue(listening(c.spec.port()), "another node's pod is left alone");
            assertFalse(c.pod.exited().isDone());
            assertEquals(0, second.removeOrphans(crashed), "nothing left to remove");
            assertEquals(List.of(), codeLeftIn(crashed), "the crashed pods' views of the code are gone");
        } finally {
            second.close();
            removeAll(crashed);
        }
        c.pod.stop(Duration.ofSeconds(2));
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** A started pod that answers {@code /health}. */
    protected record Started(Pod pod, PodSpec spec, String secret, List<String> lines) {
    }

    protected Started start(SandboxDriver d, String runtime) {
        RuntimeDefinition rt = runtimes.require(runtime);
        int port = Fixtures.freePort();
        String secret = HostPods.secret();
        String podId = "p" + UUID.randomUUID().toString().substring(0, 8) + "-" + runtime;
        Map<String, String> labels = Map.of("dev.nest.function", "it/driver-suite", "dev.nest.version", "1");
        PodSpec spec = HostPods.spec(runtimes, rt, podId, port, secret, codeRoot, 0.5, 128, labels,
                scratch.resolve("work").resolve(podId));
        List<String> lines = new CopyOnWriteArrayList<>();
        Pod pod = d.start(spec, (id, stderr, line) -> lines.add((stderr ? "err: " : "") + line));
        started.add(pod);
        Started result = new Started(pod, spec, secret, lines);
        startedByNode.computeIfAbsent(nodes.getOrDefault(d, "?"), k -> new CopyOnWriteArrayList<>()).add(result);
        Http http = new Http("http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (pod.exited().isDone()) {
                throw new AssertionError(driverName() + " pod " + podId + " exited before it was ready; output: " + lines);
            }
            try {
                Http.Response r = http.send(http.request("/health").timeout(Duration.ofSeconds(2)).header("X-Nest-Secret", secret).GET());
                if (r.status() == 200 && r.json().path("ready").asBoolean()) {
                    return result;
                }
            } catch (UncheckedIOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(driverName() + " pod " + podId + " was not ready within 60 s (" + pod.describe()
                        + "); output: " + lines);
            }
            sleep(20);
        }
    }

    private void load(Started s, Path codeDir, String handler) {
        load(driver, s, codeDir, handler);
    }

    private void load(SandboxDriver d, Started s, Path codeDir, String handler) {
        Map<String, Object> body = Map.of("id", "s1", "function", "it/fn", "version", "1",
                "codeDir", d.pathInPod(s.spec, codeDir), "handler", handler, "env", Map.of(),
                "limits", Map.of("memoryMb", 64, "timeoutMs", 20_000, "concurrency", 1));
        Http http = new Http("http://127.0.0.1:" + s.spec.port());
        Http.Response r;
        try {
            r = http.send(http.request("/load").header("X-Nest-Secret", s.secret).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Http.JSON.writeValueAsBytes(body))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertEquals(200, r.status(), () -> "POST /load: " + r + "; output: " + s.lines);
    }

    private JsonNode invoke(Started s, String path) {
        Http http = new Http("http://127.0.0.1:" + s.spec.port());
        Http.Response r = http.send(http.request("/invoke/s1" + path).header("X-Nest-Secret", s.secret).GET());
        assertEquals(200, r.status(), () -> "invoke: " + r + "; output: " + s.lines);
        return r.json();
    }

    /** Container drivers: the function runs as nobody, on a read-only root, with read-only code. */
    protected void assertContained(JsonNode r) {
        assertEquals(65534, r.path("uid").asInt(), r.toString());
        assertEquals("EROFS", r.path("root").asText(), "root is read-only: " + r);
        assertEquals("EROFS", r.path("code").asText(), "the code mount is read-only: " + r);
        assertEquals("2", r.path("seccomp").asText(), "a seccomp filter is installed: " + r);
        assertEquals("1", r.path("userns").asText(), "unshare -U fails: no user namespace, so no capabilities in one: " + r);
    }

    private static void compile(Path dir, String source) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src")).resolve("Handler.java");
        Files.writeString(src, source);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "the tests need a JDK (javax.tools)");
        String cp = Fixtures.projectRoot().resolve("target/classes").toString();
        int rc = javac.run(null, null, null, "--release", "21", "-cp", cp, "-d", classes.toString(), src.toString());
        assertEquals(0, rc, "javac Handler.java");
    }

    /** The code files in the data directory of node {@code node}'s driver (the pods' views of code versions). */
    protected List<String> codeLeftIn(String node) {
        Path data = scratch.resolve("data-" + node);
        if (!Files.isDirectory(data)) {
            return List.of();
        }
        try (var s = Files.walk(data)) {
            return s.filter(p -> p.toString().endsWith(".js") && Files.isRegularFile(p)).map(Path::toString).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether something accepts connections on the loopback port. */
    protected static boolean listening(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    protected static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs a command, returns its output (stdout and stderr); fails on a non-zero exit when {@code check}. */
    protected static String run(boolean check, String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", argv) + " did not finish");
            if (check) {
                assertEquals(0, p.exitValue(), () -> String.join(" ", argv) + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    protected static List<String> nonEmptyLines(String s) {
        List<String> out = new ArrayList<>();
        s.lines().map(String::trim).filter(l -> !l.isEmpty()).forEach(out::add);
        return out;
    }
}
