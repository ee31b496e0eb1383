package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.nest.config.NestConfig;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.DriverHealth;
import dev.nest.spi.Pod;
import dev.nest.spi.PodListener;
import dev.nest.spi.PodSpec;
import dev.nest.spi.SandboxDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node agent's hand-over of instances between requests, with a fake driver whose pods are in-process HTTP
 * hosts answering {@code /health} and {@code /load}.
 */
class NodeAgentTest {
    /** A bound so a broken test fails instead of hanging; never a timing assertion. */
    private static final long BOUND_S = 5;

    @TempDir
    Path dir;

    private final FakeSandboxDriver driver = new FakeSandboxDriver();
    private NodeAgent agent;

    @BeforeEach
    void setUp() throws IOException {
        Path runtimes = dir.resolve("runtimes");
        Files.createDirectories(runtimes.resolve("fake"));
        Files.writeString(runtimes.resolve("fake/runtime.yaml"), "name: fake\nlaunch: [\"${runtimeDir}/host\"]\n");
        Path code = Files.createDirectories(dir.resolve("code"));
        NestConfig.Sidecar config = new NestConfig.Sidecar("fake", 41000, 41999, Duration.ofSeconds(BOUND_S), 16,
                Duration.ZERO, Map.of());
        agent = new NodeAgent(config, "node-1", dir, code, driver, RuntimeRegistry.load(runtimes),
                digest -> Optional.of(code), line -> { }, new EmptyCatalog(), Clock.systemUTC());
    }

    @AfterEach
    void tearDown() {
        agent.close();
    }

    private static FunctionVersion version() {
        FunctionSpec spec = new FunctionSpec(FunctionId.of("default", "fn"), "fake", "", 128, Duration.ofSeconds(30), 1,
                Map.of(), new ScalingSpec(0, 1, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(BOUND_S)));
        return new FunctionVersion(1, "sha256:" + "a".repeat(64), spec, Instant.EPOCH, "api");
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_S);
    }

    @Test
    void aReleasedInstanceGoesWarmToTheWaitingRequest() throws Exception {
        FunctionVersion v = version();
        Lease first = agent.acquire(v, deadline());
        assertTrue(first.cold());
        NodeAgent.Pending waiting = agent.acquireAsync(v, deadline());
        assertTrue(waiting.now().isEmpty(), "scaling.max 1 is busy: the request waits");
        assertFalse(waiting.later().isDone());

        first.release();
        Lease second = waiting.later().get(BOUND_S, TimeUnit.SECONDS);
        assertSame(first.instance(), second.instance());
        assertFalse(second.cold());
        assertEquals(1, driver.started.size());
        second.release();
    }

    @Test
    void aRecycledInstanceIsReplacedForTheWaitingRequest() throws Exception {
        FunctionVersion v = version();
        Lease first = agent.acquire(v, deadline());
        NodeAgent.Pending waiting = agent.acquireAsync(v, deadline());
        assertTrue(waiting.now().isEmpty());

        first.recycle("timed out");
        Lease second = waiting.later().get(BOUND_S, TimeUnit.SECONDS);
        assertNotSame(first.instance(), second.instance(), "the waiter is served by a replacement");
        assertEquals(InstanceState.READY, second.instance().state());
        assertEquals(2, driver.started.size());
        second.release();
    }

    /** A catalog with no functions; the tests never start reconciliation. */
    static final class EmptyCatalog implements FunctionCatalog {
        @Override
        public Optional<FunctionRecord> get(FunctionId id) {
            return Optional.empty();
        }

        @Override
        public Collection<FunctionRecord> all() {
            return List.of();
        }

        @Override
        public void addListener(Listener listener) {
        }
    }

    /** Pods are JDK HTTP servers on the assigned loopback port that report healthy and load anything. */
    static final class FakeSandboxDriver implements SandboxDriver {
        final List<PodSpec> started = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public Pod start(PodSpec spec, PodListener listener) {
            started.add(spec);
            HttpServer server;
            try {
                server = HttpServer.create(new InetSocketAddress(spec.address(), spec.port()), 16);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.createContext("/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                String path = exchange.getRequestURI().getPath();
                byte[] body = (path.equals("/health") ? "{\"ready\":true}" : "{\"timings\":{}}")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            CompletableFuture<Integer> exited = new CompletableFuture<>();
            return new Pod() {
                @Override
                public String id() {
                    return spec.podId();
                }

                @Override
                public CompletableFuture<Integer> exited() {
                    return exited;
                }

                @Override
                public void stop(Duration grace) {
                    server.stop(0);
                    exited.complete(0);
                }

                @Override
                public String describe() {
                    return "fake:" + spec.port();
                }
            };
        }

        @Override
        public DriverHealth health() {
            return DriverHealth.ok("fake");
        }

        @Override
        public int removeOrphans(String nodeId) {
            return 0;
        }

        @Override
        public String pathInPod(PodSpec spec, Path hostPath) {
            return hostPath.toString();
        }

        @Override
        public void close() {
        }
    }
}
