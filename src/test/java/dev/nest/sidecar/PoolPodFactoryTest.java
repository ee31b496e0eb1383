package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.spi.PodSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The warm pools' pods as the node agent starts them: labels, memory, capacity, exits. */
class PoolPodFactoryTest extends AgentTestBase {
    @Override
    int poolSize() {
        return 1;
    }

    @Test
    void poolPodsAreLabelledForOrphanRemovalAndHaveTheRuntimesMemory() {
        agent.pool().maintain();
        assertEquals(1, f.driver.started.size());
        PodSpec pooled = f.driver.started.getFirst();
        assertEquals("fake", pooled.labels().get("dev.nest.pool"));
        assertEquals("nest", pooled.labels().get("dev.nest.owner"), "orphan removal finds pool pods");
        assertEquals("node-1", pooled.labels().get("dev.nest.node"));
        assertEquals(128L << 20, pooled.memoryBytes(), "the runtime's default memory");
        assertTrue(pooled.podId().startsWith("pool-fake-"), pooled.podId());
    }

    @Test
    void aDeadPoolPodIsReplaced() {
        agent.pool().maintain();
        f.driver.pods.getFirst().kill();
        assertEquals(0, f.poolStatus().ready(), "its exit is noticed at once");
        agent.pool().maintain();
        assertEquals(2, f.driver.started.size());
        assertEquals(1, f.poolStatus().ready());
        Lease lease = f.lease(AgentFixture.version());
        assertEquals("fake:" + f.driver.started.getLast().port(), agent.instances().getFirst().pod());
        lease.release();
    }

    @Test
    void aStartAboveMaxPodsSaysWhatToChangeAndAStopGivesThePlaceBack() {
        PoolPodFactory factory = new PoolPodFactory(f.pods(1), () -> false);
        PoolPodFactory.PoolPod first = factory.start("fake", () -> { });
        assertTrue(factory.alive(first));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> factory.start("fake", () -> { }));
        assertTrue(e.getMessage().contains("lower the pool size or raise sidecar.max-pods"), e.getMessage());

        factory.stop(first);
        assertTrue(f.driver.pods.getFirst().stopped());
        assertFalse(factory.alive(first));
        factory.stop(factory.start("fake", () -> { }));
        assertEquals(2, f.driver.started.size(), "the stopped pod's place was given back");
    }

    @Test
    void aStoppingNodeStartsNoPoolPod() {
        PoolPodFactory factory = new PoolPodFactory(f.pods(4), () -> true);
        assertThrows(IllegalStateException.class, () -> factory.start("fake", () -> { }));
        assertTrue(f.driver.started.isEmpty());
    }

    @Test
    void anUnknownRuntimeFailsWithoutTakingAPlace() {
        PoolPodFactory factory = new PoolPodFactory(f.pods(1), () -> false);
        assertThrows(RuntimeException.class, () -> factory.start("cobol", () -> { }));
        factory.stop(factory.start("fake", () -> { }));
        assertEquals(1, f.driver.started.size());
    }

    @Test
    void aPoolPodIsWarmedUpOnceBeforeThePoolCountsIt() {
        agent.pool().maintain();
        assertEquals(1, f.poolStatus().ready());
        assertEquals(java.util.List.of(f.driver.started.getFirst().podId()), f.driver.warmedUp);
    }

    @Test
    void aHostWithoutAWarmUpIsUsedAsItIs() {
        f.driver.warmUpStatus.add(404);
        PoolPodFactory factory = new PoolPodFactory(f.pods(1), () -> false);
        PoolPodFactory.PoolPod pod = factory.start("fake", () -> { });
        assertTrue(factory.alive(pod));
        factory.stop(pod);
    }

    @Test
    void aFailedWarmUpStopsThePodAndThreeInARowStopTheWarmUps() {
        PoolPodFactory factory = new PoolPodFactory(f.pods(1), () -> false);
        for (int i = 0; i < 3; i++) {
            f.driver.warmUpStatus.add(500);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> factory.start("fake", () -> { }));
            assertTrue(e.getMessage().contains("warm-up of a fake pool pod failed (status 500"), e.getMessage());
            assertTrue(f.driver.pods.get(i).stopped(), "a pod that may hold the warm-up's state is stopped");
        }
        PoolPodFactory.PoolPod pod = factory.start("fake", () -> { });
        assertEquals(3, f.driver.warmedUp.size(), "no warm-up asked after three failures in a row");
        assertTrue(factory.alive(pod), "and the pod is used as it is");
        factory.stop(pod);
    }
}
