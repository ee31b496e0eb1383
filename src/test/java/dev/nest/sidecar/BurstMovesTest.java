package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.config.NestConfig;
import dev.nest.function.DeployMode;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.InMemoryCatalog;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.runtime.RuntimeRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A burst worker that the node's steady need comes to cover moves to a pod of its own: the dedicated replacement
 * serves first, then the worker drains (its request in flight ends where it is) and leaves its merged pod. Also what
 * happens when the merged pod dies, the function is deleted or its version rolled back while the replacement starts.
 * Fake driver, runtime {@code fake} of 128 MiB with a merged host of 4 functions; {@code sidecar.merge-below: 3}.
 */
class BurstMovesTest {
    @TempDir
    Path dir;
    private final FakeSandboxDriver driver = new FakeSandboxDriver();
    private final FakeNanoClock nanos = new FakeNanoClock();
    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private NodeAgent agent;
    private FunctionRecord record;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            steady need 2, one pod of its own: the worker moves           | AUTO      | false | 1 | 0 | 1 | 2          | true
            steady need 3, one pod and one worker: it moves               | AUTO      | false | 1 | 0 | 2 | 3          | true
            steady need 1 filled by the pod: the worker stays one         | AUTO      | false | 1 | 0 | 1 | 1          | false
            steady need 2, a start under way covers it                    | AUTO      | false | 1 | 1 | 1 | 2          | false
            no burst worker ready: nothing to move                        | AUTO      | false | 1 | 0 | 0 | 2          | false
            steady need not known yet: nothing moves                      | AUTO      | false | 1 | 0 | 1 | 2147483647 | false
            merged by its traffic: its instances are not burst workers    | AUTO      | true  | 0 | 0 | 1 | 2          | false
            deploy dedicated never has burst workers to move              | DEDICATED | false | 1 | 0 | 1 | 2          | false
            deploy merged never has burst workers to move                 | MERGED    | false | 1 | 0 | 1 | 2          | false
            no pod of its own yet, steady need 1: the worker moves        | AUTO      | false | 0 | 0 | 1 | 1          | true
            """)
    void whenABurstWorkerMovesToAPodOfItsOwn(String why, DeployMode deploy, boolean mergedByTraffic, int own,
                                             int starting, int workers, int steady, boolean moves) {
        assertEquals(moves, MergedPlacement.burstToOwnPod(deploy, mergedByTraffic, own, starting, workers, steady), why);
    }

    @BeforeEach
    void setUp() throws IOException {
        Path runtimes = dir.resolve("runtimes");
        Files.createDirectories(runtimes.resolve("fake"));
        Files.writeString(runtimes.resolve("fake/runtime.yaml"), "name: fake\nlaunch: [\"${runtimeDir}/host\"]\n"
                + "merged-launch: [\"${runtimeDir}/merged-host\"]\nmemory: 128\nmax-functions: 4\n");
        Path code = Files.createDirectories(dir.resolve("code"));
        NestConfig.Sidecar config = new NestConfig.Sidecar("fake", 0, 0, Duration.ofSeconds(AgentFixture.BOUND_S),
                16, Duration.ZERO, Map.of(), new NestConfig.Pool(Map.of("fake", 0), Duration.ofMinutes(10)),
                Duration.ZERO, new NestConfig.Merged(3, false, 64, 64, 0, 75));
        agent = new NodeAgent(config, "node-1", dir, code, driver, RuntimeRegistry.load(runtimes),
                (digest, runtime) -> Optional.of(new CodeDir(code, Map.of())), line -> { }, catalog,
                Clock.systemUTC(), nanos, new FreePorts(), Runnable::run);
    }

    @AfterEach
    void tearDown() {
        driver.dedicatedGate.set(null);
        agent.close();
    }

    private FunctionVersion deploy(String digestChar) {
        FunctionSpec spec = new FunctionSpec(FunctionId.of("default", "busy"), "fake", "", 128, Duration.ofSeconds(30), 1,
                Map.of(), new ScalingSpec(0, 10, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)))
                .withDeploy(DeployMode.AUTO);
        record = (record == null ? FunctionRecord.empty(spec.id(), "api", Instant.EPOCH) : record)
                .withNewVersion("sha256:" + digestChar.repeat(64), spec, "api", Instant.EPOCH, true);
        catalog.put(record);
        return record.liveVersion().orElseThrow();
    }

    private Lease lease(FunctionVersion v) {
        return agent.acquire(v, nanos.getAsLong() + Duration.ofSeconds(AgentFixture.BOUND_S).toNanos());
    }

    private void second() {
        nanos.advance(Duration.ofSeconds(1));
        agent.reconcile();
    }

    private static void waitUntil(java.util.function.BooleanSupplier done) {
        long end = System.nanoTime() + Duration.ofSeconds(AgentFixture.BOUND_S).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not done within " + AgentFixture.BOUND_S + " s");
            }
            Thread.onSpinWait();
        }
    }

    /** The function in a pod of its own ({@code a} holds it) and a burst worker ({@code b}): {@code [a, b]}. */
    private Lease[] podAndBurstWorker(FunctionVersion v) {
        Instance first = lease(v).instance();
        agent.release(new Lease(first, false, 0, Map.of(), agent));
        for (int k = 0; k < 2; k++) {
            agent.release(lease(v));
        }
        agent.reconcile(); // 3 requests in the last minute: at merge-below, to a pod of its own
        waitUntil(() -> first.state() == InstanceState.STOPPED);
        Lease a = lease(v);
        assertFalse(a.instance().merged(), "busy: a pod of its own");
        second(); // one request in flight this second: the steady need is one instance
        Lease b = lease(v);
        assertTrue(b.instance().burst && b.instance().merged(), "beyond the steady need: a burst worker");
        return new Lease[] {a, b};
    }

    /** Seconds of two requests in flight until a move starts (a dedicated start waits at the driver's gate). */
    private void untilTheMoveStarts(int podsBefore) {
        for (int k = 0; k < 20 && driver.started.size() == podsBefore; k++) {
            second();
            Thread.yield();
        }
        waitUntil(() -> agent.load().values().stream().anyMatch(l -> l.starting() > 0));
    }

    @Test
    void theWorkerMovesToAPodOfItsOwnServingFirstThenDraining() {
        FunctionVersion v = deploy("a");
        Lease[] held = podAndBurstWorker(v);
        Instance worker = held[1].instance();
        List<InstanceInfo> listed = agent.instances(v.spec().id());
        assertEquals(List.of("burst", "dedicated"), listed.stream().map(InstanceInfo::placement).sorted().toList());
        InstanceInfo w = listed.stream().filter(i -> i.placement().equals("burst")).findFirst().orElseThrow();
        assertEquals(worker.membership().orElseThrow().podId(), w.hostPod(), "the list names the worker's merged pod");
        assertEquals(Map.of(v.spec().id(), 1), agent.burst(), "the leader hears of one burst worker");

        CountDownLatch gate = new CountDownLatch(1);
        driver.dedicatedGate.set(gate);
        int pods = driver.started.size();
        untilTheMoveStarts(pods);
        assertEquals(InstanceState.READY, worker.state(), "the worker serves while its replacement starts");
        second();
        assertEquals(1, agent.load().get(v.spec().id()).starting(), "one move at a time");
        gate.countDown();
        waitUntil(() -> worker.retired);
        assertNotEquals(InstanceState.STOPPED, worker.state(), "its request in flight ends where it is");
        assertTrue(agent.mergedPods().size() == 1, "its merged pod runs while the request does");
        agent.release(held[1]);
        waitUntil(() -> worker.state() == InstanceState.STOPPED);
        waitUntil(() -> agent.mergedPods().isEmpty());
        agent.release(held[0]);
        assertEquals(List.of("dedicated", "dedicated"), agent.instances(v.spec().id()).stream()
                .map(InstanceInfo::placement).toList(), "two pods of its own carry the steady need");
        assertEquals(Map.of(), agent.burst());
        int after = driver.started.size();
        second();
        second();
        assertEquals(after, driver.started.size(), "covered: no further move");
    }

    @Test
    void theMergedPodDyingDuringTheMoveLeavesTheReplacementAndNothingElse() {
        FunctionVersion v = deploy("a");
        Lease[] held = podAndBurstWorker(v);
        Instance worker = held[1].instance();
        agent.release(held[1]);
        CountDownLatch gate = new CountDownLatch(1);
        driver.dedicatedGate.set(gate);
        held[1] = lease(v); // the worker again (the pod is busy with a)
        assertTrue(held[1].instance() == worker);
        untilTheMoveStarts(driver.started.size());
        driver.pods.getLast().kill(); // the merged pod dies (its request in flight with it)
        waitUntil(() -> worker.state() == InstanceState.STOPPED);
        agent.release(held[1]);
        gate.countDown();
        waitUntil(() -> agent.load().get(v.spec().id()).starting() == 0);
        assertEquals(List.of("dedicated", "dedicated"), agent.instances(v.spec().id()).stream()
                .map(InstanceInfo::placement).toList(), "the replacement serves; nothing else was retired");
        agent.release(held[0]);
        int after = driver.started.size();
        second();
        assertEquals(after, driver.started.size(), "the move is over: no second one, nothing left marked moving");
    }

    @Test
    void aFunctionDeletedDuringTheMoveLeavesNoInstanceNorPod() {
        FunctionVersion v = deploy("a");
        Lease[] held = podAndBurstWorker(v);
        CountDownLatch gate = new CountDownLatch(1);
        driver.dedicatedGate.set(gate);
        untilTheMoveStarts(driver.started.size());
        catalog.remove(v.spec().id());
        agent.reconcile();
        agent.release(held[0]);
        agent.release(held[1]);
        gate.countDown();
        waitUntil(() -> agent.instances().size() == 1); // the replacement is ready in the deleted function's set
        second(); // the next pass stops it
        waitUntil(() -> driver.pods.stream().allMatch(FakeSandboxDriver.FakePod::stopped));
        assertEquals(List.of(), agent.instances(), "the replacement that became ready after the delete was stopped");
        assertTrue(agent.mergedPods().isEmpty());
    }

    @Test
    void aRollbackDuringTheMoveEndsWithTheRolledBackVersionOnly() {
        deploy("b"); // version 1
        FunctionVersion v2 = deploy("a");
        Lease[] held = podAndBurstWorker(v2);
        CountDownLatch gate = new CountDownLatch(1);
        driver.dedicatedGate.set(gate);
        untilTheMoveStarts(driver.started.size());
        record = record.rolledBack(Optional.empty(), Instant.EPOCH);
        catalog.put(record);
        FunctionVersion v1 = record.liveVersion().orElseThrow();
        assertEquals(1, v1.version());
        agent.reconcile();
        assertEquals(InstanceState.READY, held[1].instance().state(), "a request in flight on the worker is not cut");
        gate.countDown();
        agent.release(held[0]);
        agent.release(held[1]);
        waitUntil(() -> held[1].instance().state() == InstanceState.STOPPED);
        Lease now = lease(v1);
        assertEquals(1, now.instance().version().version());
        agent.release(now);
        for (int k = 0; k < 3; k++) {
            second();
        }
        waitUntil(() -> agent.instances().stream().allMatch(i -> i.version() == 1));
        assertTrue(agent.mergedPods().isEmpty() || agent.instances().stream().anyMatch(InstanceInfo::merged),
                "no merged pod left without an instance");
    }
}
