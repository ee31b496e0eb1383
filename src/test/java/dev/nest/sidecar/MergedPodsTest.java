package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import dev.nest.spi.PodSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node agent with merged placement on a fake driver: runtime {@code fake} of 128 MiB with a merged host of at most
 * 4 functions (512 MiB of room, 576 MiB per merged pod with the default host base).
 */
class MergedPodsTest {
    @TempDir
    Path dir;
    private final FakeSandboxDriver driver = new FakeSandboxDriver();
    private final FakeNanoClock nanos = new FakeNanoClock();
    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private NodeAgent agent;

    @BeforeEach
    void setUp() throws IOException {
        agent = agent(16, NestConfig.Merged.DEFAULT);
    }

    private NodeAgent agent(int maxPods, NestConfig.Merged merged) throws IOException {
        Path runtimes = dir.resolve("runtimes");
        Files.createDirectories(runtimes.resolve("fake"));
        Files.writeString(runtimes.resolve("fake/runtime.yaml"), "name: fake\nlaunch: [\"${runtimeDir}/host\"]\n"
                + "merged-launch: [\"${runtimeDir}/merged-host\"]\nmemory: 128\nmax-functions: 4\n");
        Path code = Files.createDirectories(dir.resolve("code"));
        NestConfig.Sidecar config = new NestConfig.Sidecar("fake", 0, 0, Duration.ofSeconds(AgentFixture.BOUND_S),
                maxPods, Duration.ZERO, Map.of(), new NestConfig.Pool(Map.of("fake", 0), Duration.ofMinutes(10)),
                Duration.ZERO, merged);
        return new NodeAgent(config, "node-1", dir, code, driver, RuntimeRegistry.load(runtimes),
                (digest, runtime) -> Optional.of(new CodeDir(code, Map.of())), line -> { }, catalog,
                Clock.systemUTC(), nanos, new FreePorts(), Runnable::run);
    }

    @AfterEach
    void tearDown() {
        agent.close();
    }

    private static FunctionVersion version(String ns, String name, DeployMode mode, int memoryMb) {
        FunctionSpec spec = new FunctionSpec(FunctionId.of(ns, name), "fake", "", memoryMb, Duration.ofSeconds(30), 1,
                Map.of(), new ScalingSpec(0, 1, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)))
                .withDeploy(mode);
        return new FunctionVersion(1, "sha256:" + "a".repeat(64), spec, Instant.EPOCH, "api");
    }

    /** One invocation's lease of {@code v}, released at once. */
    private Instance serve(FunctionVersion v) {
        Lease l = agent.acquire(v, nanos.getAsLong() + Duration.ofSeconds(AgentFixture.BOUND_S).toNanos());
        agent.release(l);
        return l.instance();
    }

    private List<PodSpec> mergedPods() {
        return driver.started.stream().filter(s -> s.command().getFirst().endsWith("merged-host")).toList();
    }

    @Test
    void tenMergedFunctionsShareThreePodsOfFourEachWithTheRoomAsTheirLimit() {
        List<Instance> all = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            all.add(serve(version("default", "f" + k, DeployMode.MERGED, 128)));
        }
        assertEquals(3, mergedPods().size());
        assertEquals(3, driver.started.size());
        for (PodSpec s : mergedPods()) {
            assertEquals((4 * 128 + 64) * 1024L * 1024L, s.memoryBytes());
        }
        Map<String, Long> perPod = agent.instances().stream()
                .collect(Collectors.groupingBy(InstanceInfo::hostPod, Collectors.counting()));
        assertEquals(List.of(2L, 4L, 4L), perPod.values().stream().sorted().toList());
        assertTrue(agent.instances().stream().allMatch(InstanceInfo::merged));
        assertTrue(all.stream().allMatch(Instance::merged));
        assertEquals(3, agent.mergedPods().size());
    }

    @Test
    void packsByMemory() {
        serve(version("default", "big", DeployMode.MERGED, 384));
        serve(version("default", "small", DeployMode.MERGED, 128));
        serve(version("default", "more", DeployMode.MERGED, 128)); // 640 MiB would exceed the 512 MiB room
        assertEquals(2, mergedPods().size());
    }

    @Test
    void neverMixesNamespacesUnlessAllowed() throws IOException {
        serve(version("a", "f", DeployMode.MERGED, 128));
        serve(version("b", "f", DeployMode.MERGED, 128));
        assertEquals(2, mergedPods().size());
        agent.close();
        driver.started.clear();
        agent = agent(16, new NestConfig.Merged(30, true, 64));
        serve(version("a", "f", DeployMode.MERGED, 128));
        serve(version("b", "f", DeployMode.MERGED, 128));
        assertEquals(1, mergedPods().size());
    }

    @Test
    void dedicatedFunctionsKeepAPodOfTheirOwnAndAutoMergesWhileQuiet() throws IOException {
        Instance byDefault = serve(version("default", "x", DeployMode.AUTO, 128));
        assertTrue(byDefault.merged(), "merge-below 6 by default: a quiet auto function is merged");
        agent.close();
        driver.started.clear();
        agent = agent(16, new NestConfig.Merged(0, false, 64));
        assertFalse(serve(version("default", "y", DeployMode.AUTO, 128)).merged(), "merge-below 0: auto is dedicated");
        agent.close();
        driver.started.clear();
        agent = agent(16, new NestConfig.Merged(30, false, 64));
        Instance d = serve(version("default", "d", DeployMode.DEDICATED, 128));
        Instance a = serve(version("default", "a", DeployMode.AUTO, 128));
        assertFalse(d.merged());
        assertTrue(a.merged());
        assertEquals(1, mergedPods().size());
        assertEquals(2, driver.started.size());
    }

    @Test
    void theLastInstanceToLeaveStopsTheMergedPod() {
        FunctionVersion one = version("default", "one", DeployMode.MERGED, 128);
        FunctionVersion two = version("default", "two", DeployMode.MERGED, 128);
        Instance i1 = serve(one);
        Instance i2 = serve(two);
        assertEquals(1, driver.pods.size());
        agent.recycle(new Lease(i1, false, 0, Map.of(), agent), "test");
        waitUntil(() -> i1.state() == InstanceState.STOPPED);
        assertFalse(driver.pods.getFirst().stopped(), "a neighbour is still loaded");
        agent.recycle(new Lease(i2, false, 0, Map.of(), agent), "test");
        waitUntil(() -> driver.pods.getFirst().stopped());
        assertEquals(0, agent.mergedPods().size());
    }

    @Test
    void aMergedPodCountsAsOnePodAgainstMaxPods() throws IOException {
        agent.close();
        agent = agent(1, NestConfig.Merged.DEFAULT);
        for (int k = 0; k < 4; k++) {
            serve(version("default", "f" + k, DeployMode.MERGED, 128));
        }
        assertEquals(1, driver.started.size());
        InvokeException e = org.junit.jupiter.api.Assertions.assertThrows(InvokeException.class,
                () -> serve(version("default", "f4", DeployMode.MERGED, 128)));
        assertEquals(503, e.status());
    }

    @Test
    void autoMovesToAPodOfItsOwnUnderTrafficAndBackWhenQuietServingThroughout() throws IOException {
        agent.close();
        driver.started.clear();
        agent = agent(16, new NestConfig.Merged(3, false, 64));
        FunctionSpec spec = version("default", "auto", DeployMode.AUTO, 128).spec().withScaling(new ScalingSpec(0, 2, Duration.ofMinutes(10)));
        FunctionRecord r = FunctionRecord.empty(spec.id(), "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "a".repeat(64), spec, "api", Instant.EPOCH, true);
        catalog.put(r);
        FunctionVersion v = r.liveVersion().orElseThrow();
        Instance first = serve(v);
        assertTrue(first.merged(), "quiet: merged");
        serve(v);
        serve(v); // 3 requests in the last minute: at sidecar.merge-below
        agent.reconcile();
        waitUntil(() -> first.state() == InstanceState.STOPPED);
        Instance dedicated = serve(v);
        assertFalse(dedicated.merged(), "busy: a pod of its own");
        assertEquals(1, agent.instances().size(), "the merged instance left once the new one served");
        assertEquals(0, agent.mergedPods().size(), "its merged pod stopped with it");
        nanos.advance(Duration.ofMinutes(2)); // quiet again
        agent.reconcile();
        waitUntil(() -> dedicated.state() == InstanceState.STOPPED);
        Instance again = serve(v);
        assertTrue(again.merged(), "quiet again: merged");
        assertTrue(driver.pods.get(1).stopped(), "the dedicated pod stopped");
    }

    @Test
    void aFunctionAtItsScalingMaxIsNotMovedSoItNeverRunsMoreInstancesThanItsCap() throws IOException {
        agent.close();
        driver.started.clear();
        agent = agent(16, new NestConfig.Merged(3, false, 64));
        FunctionSpec spec = version("default", "single", DeployMode.AUTO, 128).spec(); // scaling.max 1
        FunctionRecord r = FunctionRecord.empty(spec.id(), "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "a".repeat(64), spec, "api", Instant.EPOCH, true);
        catalog.put(r);
        FunctionVersion v = r.liveVersion().orElseThrow();
        Instance first = serve(v);
        assertTrue(first.merged(), "quiet: merged");
        serve(v);
        serve(v); // at sidecar.merge-below, but a replacement would be a second instance beside the first
        agent.reconcile();
        assertEquals(InstanceState.READY, first.state(), "stays where it is");
        assertEquals(1, agent.instances().size(), "never more than scaling.max");
        assertTrue(serve(v).merged());
    }

    @Test
    void aFunctionOverItsAllocationBudgetMovesToAPodOfItsOwnAndBackAfterTheHold() throws IOException {
        agent.close();
        driver.started.clear();
        agent = agent(16, new NestConfig.Merged(30, false, 64, 64));
        FunctionSpec spec = version("default", "hungry", DeployMode.AUTO, 128).spec().withScaling(new ScalingSpec(0, 2, Duration.ofMinutes(10)));
        FunctionRecord r = FunctionRecord.empty(spec.id(), "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "a".repeat(64), spec, "api", Instant.EPOCH, true);
        catalog.put(r);
        FunctionVersion v = r.liveVersion().orElseThrow();
        Instance first = serve(v);
        assertTrue(first.merged(), "quiet: merged");
        agent.reconcile();
        assertEquals(InstanceState.READY, first.state(), "not measured yet: stays");
        // its host reports 640 MiB allocated over 10 s: 64 MiB/s is the budget, not over it
        first.allocation.observe(0, nanos.getAsLong());
        nanos.advance(Duration.ofSeconds(10));
        first.allocation.observe(640L << 20, nanos.getAsLong());
        agent.reconcile();
        assertEquals(InstanceState.READY, first.state(), "at the budget: stays");
        nanos.advance(Duration.ofSeconds(10));
        first.allocation.observe(2000L << 20, nanos.getAsLong());
        agent.reconcile();
        waitUntil(() -> first.state() == InstanceState.STOPPED);
        Instance dedicated = serve(v);
        assertFalse(dedicated.merged(), "over its budget: a pod of its own");
        assertEquals(1, agent.instances().size(), "the merged instance left once the new one served");
        assertEquals(0, agent.mergedPods().size(), "its merged pod stopped with it");
        assertEquals(-1.0, agent.instances().getFirst().allocationBytesPerSecond(), "measured only in merged pods");

        nanos.advance(Duration.ofMinutes(2)); // quiet, but held out of merged pods
        agent.reconcile();
        assertEquals(InstanceState.READY, dedicated.state());
        assertFalse(serve(v).merged());
        nanos.advance(MergedPlacement.OVER_BUDGET_HOLD.minus(Duration.ofMinutes(2)).plusSeconds(1));
        // the first move's last step (leaving the set's "moving" mark) may still run on its thread: until it has, a
        // pass starts no other move of this function, so the passes repeat as the agent's loop repeats them
        waitUntil(() -> {
            agent.reconcile();
            return dedicated.state() == InstanceState.STOPPED;
        });
        assertTrue(serve(v).merged(), "after the hold, quiet again: merged");
    }

    @Test
    void anUnhealthyMergedInstanceMovesItsNeighboursToAFreshPodThenTheOldPodStops() {
        FunctionVersion culprit = version("default", "culprit", DeployMode.MERGED, 128);
        Instance neighbour = serve(version("default", "neighbour", DeployMode.MERGED, 128));
        Lease busy = agent.acquire(culprit, nanos.getAsLong() + Duration.ofSeconds(AgentFixture.BOUND_S).toNanos());
        assertEquals(1, driver.pods.size());
        agent.retire(busy, "its invocation ignored its interruption");
        waitUntil(() -> neighbour.state() == InstanceState.STOPPED);
        assertEquals(2, driver.pods.size(), "a fresh merged pod");
        Instance moved = serve(version("default", "neighbour", DeployMode.MERGED, 128));
        assertTrue(moved.merged());
        assertEquals(driver.started.get(1).podId(), moved.membership().orElseThrow().podId());
        waitUntil(() -> driver.pods.getFirst().stopped());
        assertFalse(driver.pods.get(1).stopped());
    }

    @Test
    void aFunctionWhoseMergedHostReportsNoWorkerIsReportedParkedUntilItRunsAgain() {
        FunctionVersion idle = live(version("default", "idle", DeployMode.MERGED, 128));
        FunctionVersion busy = live(version("default", "busy", DeployMode.MERGED, 128));
        Instance idleOne = serve(idle);
        Instance busyOne = serve(busy);
        assertEquals(1, agent.mergedPods().size(), "both in one merged pod");
        assertEquals(Map.of(), agent.parked(), "nothing parked before the host says so");
        agent.start(false); // its usage sampler reads each merged pod's /status every second

        driver.status.set("{\"instances\":[{\"id\":\"" + idleOne.id() + "\",\"running\":false},"
                + "{\"id\":\"" + busyOne.id() + "\",\"running\":true},{\"id\":\"unknown\",\"running\":false}]}");
        waitUntil(() -> agent.parked().equals(Map.of(idle.spec().id(), 1)));

        driver.status.set("{\"instances\":[{\"id\":\"" + idleOne.id() + "\",\"running\":true},"
                + "{\"id\":\"" + busyOne.id() + "\"}]}");
        waitUntil(() -> agent.parked().isEmpty());
    }

    /** {@code v} as its function's live version in the catalog, as the agent reports only live versions. */
    private FunctionVersion live(FunctionVersion v) {
        FunctionRecord r = FunctionRecord.empty(v.spec().id(), "api", Instant.EPOCH)
                .withNewVersion(v.digest(), v.spec(), "api", Instant.EPOCH, true);
        catalog.put(r);
        return r.liveVersion().orElseThrow();
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
}
