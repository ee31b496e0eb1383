package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionVersion;
import dev.nest.spi.PodSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cold-start path: pool pod or new pod, the phases a lease reports, and {@code sidecar.max-pods}. */
class ColdStartTest extends AgentTestBase {
    @Override
    int poolSize() {
        return 1;
    }

    @Test
    void aColdStartTakesAPoolPodAndThePoolRefills() {
        agent.pool().maintain();
        assertEquals(1, f.driver.started.size());
        PodSpec pooled = f.driver.started.getFirst();

        Lease lease = f.lease(AgentFixture.version());
        assertTrue(lease.cold());
        assertEquals(List.of("placement", "pool", "load", "init"), List.copyOf(lease.startPhases().keySet()));
        assertEquals(1, f.driver.started.size(), "no pod was created for the request");
        assertEquals("fake:" + pooled.port(), agent.instances().getFirst().pod());
        assertEquals(1, f.poolStatus().hits());
        assertEquals(1, agent.coldStarts());

        agent.pool().maintain();
        assertEquals(2, f.driver.started.size());
        assertEquals(1, f.poolStatus().ready());
        lease.release();
    }

    @Test
    void aNewPodIsLabelledWithItsFunctionAndReportsItsPhasesInOrder() {
        agent = f.agent(0, 16, Duration.ZERO);
        Lease lease = f.lease(AgentFixture.version());
        assertEquals(List.of("placement", "pod", "load", "init"), List.copyOf(lease.startPhases().keySet()));
        PodSpec spec = f.driver.started.getFirst();
        assertEquals("default/fn", spec.labels().get("dev.nest.function"));
        assertEquals("1", spec.labels().get("dev.nest.version"));
        assertEquals("node-1", spec.labels().get("dev.nest.node"));
        lease.release();
    }

    @Test
    void aBurstLargerThanThePoolStartsPodsInParallelAndServesEachRequestAsSoonAsAnInstanceIsReady() throws Exception {
        agent.pool().maintain();
        List<Lease> held = f.leases(AgentFixture.version(AgentFixture.spec(3)), 3);
        assertEquals(3, held.stream().map(Lease::instance).distinct().count());
        assertEquals(1, held.stream().filter(l -> l.startPhases().containsKey("pool")).count());
        assertEquals(2, held.stream().filter(l -> l.startPhases().containsKey("pod")).count());
        assertEquals(3, f.driver.started.size(), "one pool pod and two new ones");
        held.forEach(Lease::release);
    }

    @Test
    void aFunctionNeedingMoreMemoryThanThePoolGetsItsOwnPod() {
        agent.pool().maintain();
        Lease lease = f.lease(AgentFixture.version(AgentFixture.spec(1, 256)));
        assertTrue(lease.startPhases().containsKey("pod"));
        assertEquals(256L << 20, f.driver.started.getLast().memoryBytes());
        assertEquals(1, f.poolStatus().ready());
        lease.release();
    }

    @Test
    void poolPodsCountTowardsMaxPods() {
        agent = f.agent(1, 1, Duration.ZERO);
        agent.pool().maintain();
        FunctionVersion v = AgentFixture.version(AgentFixture.spec(1, 256));
        Pending p = agent.acquireAsync(v, f.deadline());
        assertTrue(agent.lastStartError(v.spec().id()).orElseThrow().contains("sidecar.max-pods 1"));
        assertTrue(agent.cancel(p).isPresent());

        agent.pool().resize("fake", 0);
        agent.pool().maintain();
        Lease lease = f.lease(v);
        assertTrue(lease.cold(), "the pool's pod made room");
        assertTrue(agent.lastStartError(v.spec().id()).isEmpty(), "a start that succeeds clears the error");
        lease.release();
    }

    @Test
    void atCapacityAColdStartStillTakesAPoolPod() {
        agent = f.agent(1, 1, Duration.ZERO);
        agent.pool().maintain();
        Lease lease = f.lease(AgentFixture.version());
        assertTrue(lease.startPhases().containsKey("pool"), "the pool's pod is the node's one pod: " + lease.startPhases());
        assertEquals(1, f.driver.started.size());
        lease.release();

        agent.pool().maintain();
        assertEquals(0, f.poolStatus().ready(), "no room for a refill");
        assertTrue(f.poolStatus().lastError().contains("sidecar.max-pods"), f.poolStatus().lastError());
    }

    @Test
    void aReadyInstanceWhosePodDiesIsReplacedForTheWaitingRequest() throws Exception {
        agent = f.agent(0, 16, Duration.ZERO);
        FunctionVersion v = AgentFixture.version();
        Lease first = f.lease(v);
        Pending waiting = agent.acquireAsync(v, f.deadline());
        f.driver.pods.getFirst().kill();
        Lease second = waiting.later().get(AgentFixture.BOUND_S, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(InstanceState.STOPPED, first.instance().state());
        assertEquals(InstanceState.READY, second.instance().state());
        second.release();
    }
}
