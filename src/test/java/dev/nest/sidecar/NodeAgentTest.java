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
import dev.nest.pool.PoolStatus;
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
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private NodeAgent agent;

    @BeforeEach
    void setUp() throws IOException {
        agent = agent(0, 16, NestConfig.Sidecar.DEFAULT_PREVIOUS_KEEP_ALIVE);
    }

    /**
     * An agent on runtime {@code fake} (128 MiB) with a warm pool of {@code poolSize} whose starts run on the
     * caller's thread, so that {@code pool().maintain()} returns with the pool filled.
     */
    private NodeAgent agent(int poolSize, int maxPods, Duration previousKeepAlive) throws IOException {
        if (agent != null) {
            agent.close();
        }
        Path runtimes = dir.resolve("runtimes");
        Files.createDirectories(runtimes.resolve("fake"));
        Files.writeString(runtimes.resolve("fake/runtime.yaml"), "name: fake\nlaunch: [\"${runtimeDir}/host\"]\nmemory: 128\n");
        Path code = Files.createDirectories(dir.resolve("code"));
        NestConfig.Sidecar config = new NestConfig.Sidecar("fake", 41000, 41999, Duration.ofSeconds(BOUND_S), maxPods,
                Duration.ZERO, Map.of(), new NestConfig.Pool(Map.of("fake", poolSize), Duration.ofMinutes(10)),
                previousKeepAlive);
        agent = new NodeAgent(config, "node-1", dir, code, driver, RuntimeRegistry.load(runtimes),
                (digest, runtime) -> Optional.of(new CodeDir(code, Map.of())), line -> { }, catalog, Clock.systemUTC(), Runnable::run);
        return agent;
    }

    @AfterEach
    void tearDown() {
        agent.close();
    }

    private static FunctionVersion version() {
        return new FunctionVersion(1, "sha256:" + "a".repeat(64), spec(1), Instant.EPOCH, "api");
    }

    private static FunctionSpec spec(int max) {
        return spec(max, 128);
    }

    private static FunctionSpec spec(int max, int memoryMb) {
        return new FunctionSpec(FunctionId.of("default", "fn"), "fake", "", memoryMb, Duration.ofSeconds(30), 1,
                Map.of(), new ScalingSpec(0, max, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(BOUND_S)));
    }

    /** Deploys {@code fn} with {@code scaling.max} {@code max} into the catalog; returns its live version. */
    private FunctionVersion deployed(int max) {
        FunctionSpec spec = spec(max);
        FunctionRecord r = FunctionRecord.empty(spec.id(), "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", Instant.EPOCH, true);
        catalog.records.put(spec.id(), r);
        return r.liveVersion().orElseThrow();
    }

    /** Takes {@code n} leases at once; each is on its own instance because concurrency is 1. */
    private List<Lease> leases(FunctionVersion v, int n) throws Exception {
        List<Pending> pending = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            pending.add(agent.acquireAsync(v, deadline()));
        }
        List<Lease> out = new ArrayList<>();
        for (Pending p : pending) {
            out.add(p.now().isPresent() ? p.now().get() : p.later().get(BOUND_S, TimeUnit.SECONDS));
        }
        return out;
    }

    private PoolStatus poolStatus() {
        return agent.pool().status().getFirst();
    }

    // ---- warm pools --------------------------------------------------------------------------------------

    @Test
    void aColdStartTakesAPoolPodAndThePoolRefills() throws Exception {
        agent(1, 16, Duration.ZERO);
        agent.pool().maintain();
        assertEquals(1, driver.started.size());
        PodSpec pooled = driver.started.getFirst();
        assertEquals("fake", pooled.labels().get("dev.nest.pool"));
        assertEquals("nest", pooled.labels().get("dev.nest.owner"), "orphan removal finds pool pods");
        assertEquals("node-1", pooled.labels().get("dev.nest.node"));
        assertEquals(128L << 20, pooled.memoryBytes(), "the runtime's default memory");

        Lease lease = agent.acquire(version(), deadline());
        assertTrue(lease.cold());
        assertEquals(List.of("placement", "pool", "load", "init"), List.copyOf(lease.startPhases().keySet()));
        assertEquals(1, driver.started.size(), "no pod was created for the request");
        assertEquals("fake:" + pooled.port(), agent.instances().getFirst().pod());
        assertEquals(1, poolStatus().hits());

        agent.pool().maintain();
        assertEquals(2, driver.started.size());
        assertEquals(1, poolStatus().ready());
        lease.release();
    }

    @Test
    void aBurstLargerThanThePoolStartsPodsInParallelAndServesEachRequestAsSoonAsAnInstanceIsReady() throws Exception {
        agent(1, 16, Duration.ZERO);
        agent.pool().maintain();
        FunctionVersion v = new FunctionVersion(1, "sha256:" + "a".repeat(64), spec(3), Instant.EPOCH, "api");
        List<Lease> held = leases(v, 3);
        assertEquals(3, held.stream().map(Lease::instance).distinct().count());
        assertEquals(1, held.stream().filter(l -> l.startPhases().containsKey("pool")).count());
        assertEquals(2, held.stream().filter(l -> l.startPhases().containsKey("pod")).count());
        assertEquals(3, driver.started.size(), "one pool pod and two new ones");
        held.forEach(Lease::release);
    }

    @Test
    void aFunctionNeedingMoreMemoryThanThePoolGetsItsOwnPod() throws Exception {
        agent(1, 16, Duration.ZERO);
        agent.pool().maintain();
        FunctionVersion v = new FunctionVersion(1, "sha256:" + "a".repeat(64), spec(1, 256), Instant.EPOCH, "api");
        Lease lease = agent.acquire(v, deadline());
        assertTrue(lease.startPhases().containsKey("pod"));
        assertEquals(256L << 20, driver.started.getLast().memoryBytes());
        assertEquals(1, poolStatus().ready());
        lease.release();
    }

    @Test
    void poolPodsCountTowardsMaxPods() throws Exception {
        agent(1, 1, Duration.ZERO);
        agent.pool().maintain();
        FunctionVersion v = new FunctionVersion(1, "sha256:" + "a".repeat(64), spec(1, 256), Instant.EPOCH, "api");
        Pending p = agent.acquireAsync(v, deadline());
        assertTrue(agent.lastStartError(v.spec().id()).orElseThrow().contains("sidecar.max-pods 1"));
        assertTrue(agent.cancel(p).isPresent());

        agent.pool().resize("fake", 0);
        agent.pool().maintain();
        Lease lease = agent.acquire(v, deadline());
        assertTrue(lease.cold(), "the pool's pod made room");
        lease.release();
    }

    @Test
    void atCapacityAColdStartStillTakesAPoolPod() throws Exception {
        agent(1, 1, Duration.ZERO);
        agent.pool().maintain();
        Lease lease = agent.acquire(version(), deadline());
        assertTrue(lease.startPhases().containsKey("pool"), "the pool's pod is the node's one pod: " + lease.startPhases());
        assertEquals(1, driver.started.size());
        lease.release();

        agent.pool().maintain();
        assertEquals(0, poolStatus().ready(), "no room for a refill");
        assertTrue(poolStatus().lastError().contains("sidecar.max-pods"), poolStatus().lastError());
    }

    @Test
    void aDeadPoolPodIsReplaced() throws Exception {
        agent(1, 16, Duration.ZERO);
        agent.pool().maintain();
        driver.pods.getFirst().kill();
        assertEquals(0, poolStatus().ready(), "its exit is noticed at once");
        agent.pool().maintain();
        assertEquals(2, driver.started.size());
        assertEquals(1, poolStatus().ready());
        Lease lease = agent.acquire(version(), deadline());
        assertEquals("fake:" + driver.started.getLast().port(), agent.instances().getFirst().pod());
        lease.release();
    }

    // ---- versions that stop being live -------------------------------------------------------------------

    @Test
    void aRollbackWithinThePreviousVersionKeepAliveIsWarm() throws Exception {
        FunctionVersion v1 = deployed(1);
        Lease first = agent.acquire(v1, deadline());
        first.release();
        FunctionRecord r = catalog.records.get(v1.spec().id());
        catalog.records.put(v1.spec().id(), r.withNewVersion("sha256:" + "c".repeat(64), v1.spec(), "api", Instant.EPOCH, true));
        agent.reconcile();
        assertEquals(InstanceState.READY, first.instance().state(), "version 1 is kept warm after the deploy");

        catalog.records.put(v1.spec().id(), catalog.records.get(v1.spec().id()).rolledBack(Optional.empty(), Instant.EPOCH));
        agent.reconcile();
        Lease again = agent.acquire(v1, deadline());
        assertFalse(again.cold());
        assertSame(first.instance(), again.instance());
        again.release();
    }

    @Test
    void aRollbackUnderTheScalersTargetIsWarmToo() throws Exception {
        FunctionVersion v1 = deployed(1);
        Lease first = agent.acquire(v1, deadline());
        first.release();
        FunctionRecord r = catalog.records.get(v1.spec().id());
        catalog.records.put(v1.spec().id(), r.withNewVersion("sha256:" + "c".repeat(64), v1.spec(), "api", Instant.EPOCH, true));
        agent.reconcile();
        // the scaler saw version 2 idle and asks for none
        agent.setTarget(v1.spec().id(), 0);
        catalog.records.put(v1.spec().id(), catalog.records.get(v1.spec().id()).rolledBack(Optional.empty(), Instant.EPOCH));
        agent.reconcile();
        assertEquals(InstanceState.READY, first.instance().state(),
                "a version that is live again keeps its warm instance for the function's keep-alive");
        Lease again = agent.acquire(v1, deadline());
        assertFalse(again.cold());
        again.release();
    }

    @Test
    void aPreviousVersionIsStoppedAfterItsKeepAlive() throws Exception {
        agent(0, 16, Duration.ZERO);
        FunctionVersion v1 = deployed(1);
        Lease first = agent.acquire(v1, deadline());
        first.release();
        FunctionRecord r = catalog.records.get(v1.spec().id());
        catalog.records.put(v1.spec().id(), r.withNewVersion("sha256:" + "c".repeat(64), v1.spec(), "api", Instant.EPOCH, true));
        agent.reconcile();
        assertTrue(agent.instances().isEmpty(), "sidecar.previous-version-keep-alive 0 stops it at once");
    }

    // ---- the autoscaler's interface ----------------------------------------------------------------------

    @Test
    void aTargetStartsTheDeficitOfTheLiveVersion() throws Exception {
        FunctionVersion v = deployed(5);
        agent.setTarget(v.spec().id(), 3);
        agent.reconcile();
        FunctionLoad asked = agent.load().get(v.spec().id());
        assertEquals(3, asked.starting() + asked.ready(), "the target's deficit is started at once");
        List<Lease> held = leases(v, 3);
        assertEquals(3, held.stream().map(Lease::instance).distinct().count());
        assertEquals(3, driver.started.size(), "the three requests were served by the target's instances");

        FunctionLoad load = agent.load().get(v.spec().id());
        assertEquals(new FunctionLoad(v.spec().id(), 1, 3, 3, 3, 0, 0, 0), load);
        held.forEach(Lease::release);
        assertEquals(new FunctionLoad(v.spec().id(), 1, 3, 0, 0, 0, 0, 3), agent.load().get(v.spec().id()));
    }

    @Test
    void aTargetIsCappedByScalingMax() {
        FunctionVersion v = deployed(2);
        agent.setTarget(v.spec().id(), 7);
        agent.reconcile();
        FunctionLoad asked = agent.load().get(v.spec().id());
        assertEquals(2, asked.starting() + asked.ready());
    }

    @Test
    void aLowerTargetStopsIdleInstancesAtOnceAndBusyOnesWhenTheyFinish() throws Exception {
        FunctionVersion v = deployed(5);
        List<Lease> held = leases(v, 3);
        held.get(0).release();
        agent.setTarget(v.spec().id(), 1);
        agent.reconcile();
        assertEquals(2, agent.load().get(v.spec().id()).ready(), "the idle instance above the target is stopped");
        assertEquals(2, agent.load().get(v.spec().id()).busy());

        held.get(1).release();
        assertEquals(1, agent.load().get(v.spec().id()).ready(), "a busy instance above the target stops once idle");
        assertEquals(InstanceState.READY, held.get(2).instance().state(), "the in-flight request keeps its instance");
        held.get(2).release();
        assertEquals(1, agent.load().get(v.spec().id()).ready(), "the target's instance stays");
        agent.reconcile();
        assertEquals(1, agent.load().get(v.spec().id()).ready());
    }

    @Test
    void withoutATargetIdleInstancesLiveTheirKeepAlive() throws Exception {
        FunctionVersion v = deployed(5);
        agent.setTarget(v.spec().id(), 0);
        agent.clearTarget(v.spec().id());
        assertTrue(agent.target(v.spec().id()).isEmpty());
        leases(v, 2).forEach(Lease::release);
        agent.reconcile();
        assertEquals(2, agent.load().get(v.spec().id()).ready(), "scaling.keep-alive 10m has not passed");
    }

    @Test
    void aNegativeTargetIsRefused() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> agent.setTarget(FunctionId.of("default", "fn"), -1));
        assertTrue(e.getMessage().contains(">= 0"), e.getMessage());
    }

    @Test
    void loadListsOnlyLiveVersions() throws Exception {
        FunctionVersion v = deployed(5);
        Lease old = agent.acquire(version(), deadline());
        FunctionRecord r = catalog.records.get(v.spec().id());
        catalog.records.put(v.spec().id(), r.withNewVersion("sha256:" + "c".repeat(64), v.spec(), "api", Instant.EPOCH, true));
        assertTrue(agent.load().isEmpty(), "versions 1 is no longer live and version 2 has no instances");
        old.release();
    }

    @Test
    void aQueuedRequestTellsTheStarvedListenersOffTheRequestThread() throws Exception {
        FunctionVersion v = deployed(1);
        CompletableFuture<FunctionId> heard = new CompletableFuture<>();
        CompletableFuture<Thread> on = new CompletableFuture<>();
        agent.onStarved(id -> {
            on.complete(Thread.currentThread());
            heard.complete(id);
        });
        Lease first = agent.acquire(v, deadline());
        assertEquals(v.spec().id(), heard.get(BOUND_S, TimeUnit.SECONDS), "the first request queued for a cold start");
        assertNotSame(Thread.currentThread(), on.get());
        first.release();
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_S);
    }

    @Test
    void aReleasedInstanceGoesWarmToTheWaitingRequest() throws Exception {
        FunctionVersion v = version();
        Lease first = agent.acquire(v, deadline());
        assertTrue(first.cold());
        Pending waiting = agent.acquireAsync(v, deadline());
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
        Pending waiting = agent.acquireAsync(v, deadline());
        assertTrue(waiting.now().isEmpty());

        first.recycle("timed out");
        Lease second = waiting.later().get(BOUND_S, TimeUnit.SECONDS);
        assertNotSame(first.instance(), second.instance(), "the waiter is served by a replacement");
        assertEquals(InstanceState.READY, second.instance().state());
        assertEquals(2, driver.started.size());
        second.release();
    }

    /** Functions the test puts in; the tests never start the agent, so they call reconciliation themselves. */
    static final class InMemoryCatalog implements FunctionCatalog {
        final Map<FunctionId, FunctionRecord> records = new ConcurrentHashMap<>();

        @Override
        public Optional<FunctionRecord> get(FunctionId id) {
            return Optional.ofNullable(records.get(id));
        }

        @Override
        public Collection<FunctionRecord> all() {
            return List.copyOf(records.values());
        }

        @Override
        public void addListener(Listener listener) {
        }
    }

    /** Pods are JDK HTTP servers on the assigned loopback port that report healthy and load anything. */
    static final class FakeSandboxDriver implements SandboxDriver {
        final List<PodSpec> started = new CopyOnWriteArrayList<>();
        final List<FakePod> pods = new CopyOnWriteArrayList<>();

        /** A pod whose host is an in-process HTTP server. */
        record FakePod(HttpServer server, CompletableFuture<Integer> exited) {
            /** The host dies by itself. */
            void kill() {
                server.stop(0);
                exited.complete(137);
            }
        }

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
            pods.add(new FakePod(server, exited));
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
