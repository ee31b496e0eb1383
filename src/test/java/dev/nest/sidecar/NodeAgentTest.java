package dev.nest.sidecar;

import static dev.nest.sidecar.AgentFixture.BOUND_S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionVersion;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The node agent's leasing: the hand-over of instances between requests, the queue, and what the autoscaler reads,
 * with a fake driver whose pods are in-process HTTP hosts answering {@code /health} and {@code /load}.
 */
class NodeAgentTest extends AgentTestBase {
    @Test
    void aReleasedInstanceGoesWarmToTheWaitingRequest() throws Exception {
        FunctionVersion v = AgentFixture.version();
        Lease first = f.lease(v);
        assertTrue(first.cold());
        Pending waiting = agent.acquireAsync(v, f.deadline());
        assertTrue(waiting.now().isEmpty(), "scaling.max 1 is busy: the request waits");
        assertFalse(waiting.later().isDone());

        first.release();
        Lease second = waiting.later().get(BOUND_S, TimeUnit.SECONDS);
        assertSame(first.instance(), second.instance());
        assertFalse(second.cold());
        assertEquals(1, f.driver.started.size());
        second.release();
    }

    @Test
    void aFreeInstanceIsLeasedAtOnce() {
        FunctionVersion v = AgentFixture.version();
        f.lease(v).release();
        Pending p = agent.acquireAsync(v, f.deadline());
        Lease warm = p.now().orElseThrow();
        assertSame(warm, p.later().join(), "later() is never null: complete with the same lease");
        assertFalse(warm.cold());
        warm.release();
    }

    @Test
    void aRecycledInstanceIsReplacedForTheWaitingRequest() throws Exception {
        FunctionVersion v = AgentFixture.version();
        Lease first = f.lease(v);
        Pending waiting = agent.acquireAsync(v, f.deadline());
        assertTrue(waiting.now().isEmpty());

        first.recycle("timed out");
        Lease second = waiting.later().get(BOUND_S, TimeUnit.SECONDS);
        assertNotSame(first.instance(), second.instance(), "the waiter is served by a replacement");
        assertEquals(InstanceState.READY, second.instance().state());
        assertEquals(2, f.driver.started.size());
        second.release();
    }

    @Test
    void aRetiredInstanceTakesNoNewRequestAndStopsWhenItsLastRequestEnds() throws Exception {
        FunctionVersion v = AgentFixture.version(new dev.nest.function.FunctionSpec(AgentFixture.FN, "fake", "", 128,
                Duration.ofSeconds(30), 2, java.util.Map.of(), new dev.nest.function.ScalingSpec(0, 1, Duration.ofMinutes(10)),
                new dev.nest.function.QueueSpec(10, Duration.ofSeconds(BOUND_S))));
        Lease unhealthy = f.lease(v);
        Lease other = f.lease(v);
        assertSame(unhealthy.instance(), other.instance(), "concurrency 2: both on one instance");
        FakeSandboxDriver.FakePod pod = f.driver.pods.get(0);

        unhealthy.retire("its host reports it unhealthy");
        assertFalse(pod.stopped(), "the other request in flight finishes first");
        Lease next = f.lease(v);
        assertNotSame(unhealthy.instance(), next.instance(), "a retired instance takes no new request");
        assertEquals(2, f.driver.started.size());

        other.release();
        assertEquals(0, pod.exited().get(BOUND_S, TimeUnit.SECONDS), "stopped once its last request ended");
        assertEquals(InstanceState.READY, next.instance().state());
        next.release();
    }

    @Test
    void aStoppedInvocationsInstanceDrainsForItsNeighbourThenStopsWithoutGrace() throws Exception {
        FunctionVersion v = AgentFixture.version(new dev.nest.function.FunctionSpec(AgentFixture.FN, "fake", "", 128,
                Duration.ofSeconds(30), 2, java.util.Map.of(), new dev.nest.function.ScalingSpec(0, 1, Duration.ofMinutes(10)),
                new dev.nest.function.QueueSpec(10, Duration.ofSeconds(BOUND_S))));
        Lease stopped = f.lease(v);
        Lease neighbour = f.lease(v);
        assertSame(stopped.instance(), neighbour.instance(), "concurrency 2: both on one instance");
        FakeSandboxDriver.FakePod pod = f.driver.pods.get(0);

        stopped.stop("replaced by a newer cron tick");
        assertFalse(pod.stopped(), "the neighbour in flight is not failed for it");
        Lease next = f.lease(v);
        assertNotSame(stopped.instance(), next.instance(), "the instance takes no new request");

        neighbour.release();
        assertEquals(0, pod.exited().get(BOUND_S, TimeUnit.SECONDS), "stopped once the neighbour ended");
        next.release();
    }

    @Test
    void aStoppedInvocationsPodStopsWithoutGraceAndAnUnhealthyOnesWithTheConfiguredGrace() {
        assertEquals(Duration.ZERO, NodeAgent.stopGrace(true, Duration.ofSeconds(10)));
        assertEquals(Duration.ofSeconds(10), NodeAgent.stopGrace(false, Duration.ofSeconds(10)));
    }

    @Test
    void aStoppedInvocationAloneOnItsInstanceStopsItAtOnce() throws Exception {
        FunctionVersion v = AgentFixture.version();
        Lease lease = f.lease(v);
        lease.stop("replaced");
        assertEquals(0, f.driver.pods.get(0).exited().get(BOUND_S, TimeUnit.SECONDS));
        Lease next = f.lease(v);
        assertNotSame(lease.instance(), next.instance());
        next.release();
    }

    @Test
    void aRetiredInstanceWithNothingElseInFlightStopsAtOnce() throws Exception {
        FunctionVersion v = AgentFixture.version();
        Lease lease = f.lease(v);
        lease.retire("its host reports it unhealthy");
        assertEquals(0, f.driver.pods.get(0).exited().get(BOUND_S, TimeUnit.SECONDS));
        Lease next = f.lease(v);
        assertNotSame(lease.instance(), next.instance());
        next.release();
    }

    @Test
    void aCancelledWaitSaysWhyNoInstanceCame() {
        FunctionVersion v = AgentFixture.version();
        Lease first = f.lease(v);
        Pending waiting = agent.acquireAsync(v, f.deadline());
        InvokeException e = agent.cancel(waiting).orElseThrow();
        assertEquals(503, e.status());
        assertTrue(e.retryAfterSeconds().isPresent(), "a 503 says when to come back");
        assertTrue(e.getMessage().contains("scaling.max 1"), e.getMessage());
        assertTrue(e.getMessage().contains("within " + BOUND_S * 1000 + " ms"), "the wait in the agent's time: " + e.getMessage());
        first.release();
    }

    @Test
    void aFullQueueIsRefusedWith429() {
        FunctionVersion v = AgentFixture.version();
        Lease first = f.lease(v);
        for (int k = 0; k < 10; k++) {
            agent.acquireAsync(v, f.deadline());
        }
        InvokeException e = assertThrows(InvokeException.class, () -> agent.acquireAsync(v, f.deadline()));
        assertEquals(429, e.status());
        int retryAfter = e.retryAfterSeconds().orElseThrow();
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
        first.release();
    }

    @Test
    void aQueuedRequestTellsTheStarvedListenersOffTheRequestThread() throws Exception {
        FunctionVersion v = f.deployed(1);
        CompletableFuture<FunctionId> heard = new CompletableFuture<>();
        CompletableFuture<Thread> on = new CompletableFuture<>();
        agent.onStarved(id -> {
            on.complete(Thread.currentThread());
            heard.complete(id);
        });
        Lease first = f.lease(v);
        assertEquals(v.spec().id(), heard.get(BOUND_S, TimeUnit.SECONDS), "the first request queued for a cold start");
        assertNotSame(Thread.currentThread(), on.get());
        first.release();
    }

    @Test
    void loadListsOnlyLiveVersions() {
        f.deployed(5);
        Lease old = f.lease(AgentFixture.version());
        f.redeployed();
        assertTrue(agent.load().isEmpty(), "versions 1 is no longer live and version 2 has no instances");
        old.release();
    }

    @Test
    void instancesListsTheReadyOnes() {
        FunctionVersion v = f.deployed(1);
        Lease lease = f.lease(v);
        InstanceInfo info = agent.instances(v.spec().id()).getFirst();
        assertEquals(lease.instance().id(), info.id());
        assertEquals("READY", info.state());
        assertEquals(1, info.inFlight());
        assertTrue(agent.instances(dev.nest.function.FunctionId.of("default", "other")).isEmpty());
        lease.release();
    }

    @Test
    void aStoppedAgentRefusesRequestsAndStopsItsInstances() {
        Lease lease = f.lease(f.deployed(1));
        agent.close();
        assertEquals(InstanceState.STOPPED, lease.instance().state());
        InvokeException e = assertThrows(InvokeException.class, () -> agent.acquireAsync(AgentFixture.version(), f.deadline()));
        assertEquals(503, e.status());
        assertEquals(1, e.retryAfterSeconds().orElseThrow());
    }

    @Test
    void theAgentStartsOnceAndClosesOnce() {
        assertEquals(NodeAgent.State.NEW, agent.state());
        agent.start(false);
        assertEquals(NodeAgent.State.RUNNING, agent.state());
        assertThrows(IllegalStateException.class, () -> agent.start(false));
        agent.close();
        agent.close();
        assertEquals(NodeAgent.State.CLOSED, agent.state());
    }

    @Test
    void theWaitIsBoundedByTheQueueTimeoutInTheAgentsTime() {
        FunctionVersion v = AgentFixture.version();
        Lease first = f.lease(v);
        Pending waiting = agent.acquireAsync(v, f.deadline() + Duration.ofHours(1).toNanos());
        assertEquals(f.deadline(), waiting.waitUntilNanos(), "queue.timeout (5 s) comes first");
        agent.cancel(waiting);
        first.release();
    }
}
