package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionVersion;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Reconciliation through the node agent: targets, keep-alive on the agent's clock, versions that stop being live,
 * deleted functions. The rule itself is tested in {@link KeepAliveRuleTest}.
 */
class ReconcilerTest extends AgentTestBase {
    // ---- keep-alive --------------------------------------------------------------------------------------

    @Test
    void anIdleInstanceLivesExactlyItsKeepAlive() {
        FunctionVersion v = f.deployed(5);
        f.lease(v).release();
        f.nanos.advance(Duration.ofMinutes(10).minusNanos(1));
        agent.reconcile();
        assertEquals(1, f.load().ready(), "scaling.keep-alive 10m has not passed");
        f.nanos.advance(Duration.ofNanos(1));
        agent.reconcile();
        assertEquals(0, f.load().ready());
    }

    @Test
    void withoutATargetIdleInstancesLiveTheirKeepAlive() throws Exception {
        FunctionVersion v = f.deployed(5);
        agent.setTarget(v.spec().id(), 0);
        agent.clearTarget(v.spec().id());
        assertTrue(agent.target(v.spec().id()).isEmpty());
        f.leases(v, 2).forEach(Lease::release);
        f.nanos.advance(Duration.ofMinutes(5));
        agent.reconcile();
        assertEquals(2, f.load().ready(), "scaling.keep-alive 10m has not passed");
    }

    // ---- versions that stop being live -------------------------------------------------------------------

    /** Version 1 served a request and went idle; then version 2 was deployed. Returns version 1's instance. */
    private Instance idleOldVersion() {
        Lease first = f.lease(f.deployed(1));
        first.release();
        f.redeployed();
        agent.reconcile();
        return first.instance();
    }

    @Test
    void aRollbackWithinThePreviousVersionKeepAliveIsWarm() {
        Instance old = idleOldVersion();
        f.nanos.advance(Duration.ofMinutes(9));
        agent.reconcile();
        assertEquals(InstanceState.READY, old.state(), "version 1 is kept warm after the deploy");

        f.rolledBack();
        agent.reconcile();
        Lease again = f.lease(old.version());
        assertFalse(again.cold());
        assertSame(old, again.instance());
        again.release();
    }

    @Test
    void aRollbackUnderTheScalersTargetIsWarmToo() {
        Instance old = idleOldVersion();
        // the scaler saw version 2 idle and asks for none
        agent.setTarget(AgentFixture.FN, 0);
        f.rolledBack();
        agent.reconcile();
        assertEquals(InstanceState.READY, old.state(),
                "a version that is live again keeps its warm instance for the function's keep-alive");
        Lease again = f.lease(old.version());
        assertFalse(again.cold());
        again.release();
    }

    @Test
    void aPreviousVersionIsStoppedAfterItsKeepAlive() {
        agent = f.agent(0, 16, Duration.ofMinutes(3));
        Instance old = idleOldVersion();
        f.nanos.advance(Duration.ofMinutes(3).minusNanos(1));
        agent.reconcile();
        assertEquals(InstanceState.READY, old.state(), "idle time counts from the deploy");
        f.nanos.advance(Duration.ofNanos(1));
        agent.reconcile();
        assertTrue(agent.instances().isEmpty(), "sidecar.previous-version-keep-alive 3m has passed");
    }

    @Test
    void aVersionAnAliasStillSendsTrafficToIsNotAPreviousVersion() {
        agent = f.agent(0, 16, Duration.ofMinutes(3));
        Instance old = idleOldVersion();
        // a canary split: version 2 is live (90%), version 1 keeps 10%
        dev.nest.function.FunctionRecord r = f.catalog.get(AgentFixture.FN).orElseThrow();
        f.catalog.put(r.withAlias(dev.nest.function.Alias.LIVE, new dev.nest.function.Alias(
                new java.util.TreeMap<>(java.util.Map.of(1, 10, 2, 90)), java.util.Optional.empty()), java.time.Instant.EPOCH));
        agent.reconcile(); // routed again from now: idle time counts from here
        f.nanos.advance(Duration.ofMinutes(5));
        agent.reconcile();
        assertEquals(InstanceState.READY, old.state(), "kept for scaling.keep-alive 10m, not the 3m of a previous version");
        f.nanos.advance(Duration.ofMinutes(5));
        agent.reconcile();
        assertTrue(agent.instances().isEmpty(), "its own keep-alive has passed");
    }

    @Test
    void aDeletedFunctionLosesItsInstances() {
        FunctionVersion v = f.deployed(1);
        Lease lease = f.lease(v);
        lease.release();
        f.catalog.remove(v.spec().id());
        agent.reconcile();
        assertTrue(agent.instances().isEmpty());
    }

    // ---- the autoscaler's targets ------------------------------------------------------------------------

    @Test
    void aTargetStartsTheDeficitOfTheLiveVersion() throws Exception {
        FunctionVersion v = f.deployed(5);
        agent.setTarget(v.spec().id(), 3);
        agent.reconcile();
        FunctionLoad asked = f.load();
        assertEquals(3, asked.starting() + asked.ready(), "the target's deficit is started at once");
        List<Lease> held = f.leases(v, 3);
        assertEquals(3, held.stream().map(Lease::instance).distinct().count());
        assertEquals(3, f.driver.started.size(), "the three requests were served by the target's instances");

        assertEquals(new FunctionLoad(v.spec().id(), 1, 3, 3, 3, 0, 0, 0), f.load());
        held.forEach(Lease::release);
        assertEquals(new FunctionLoad(v.spec().id(), 1, 3, 0, 0, 0, 0, 3), f.load());
    }

    @Test
    void aTargetIsCappedByScalingMax() {
        FunctionVersion v = f.deployed(2);
        agent.setTarget(v.spec().id(), 7);
        agent.reconcile();
        FunctionLoad asked = f.load();
        assertEquals(2, asked.starting() + asked.ready());
    }

    @Test
    void aLowerTargetStopsIdleInstancesAtOnceAndBusyOnesWhenTheyFinish() throws Exception {
        FunctionVersion v = f.deployed(5);
        List<Lease> held = f.leases(v, 3);
        held.get(0).release();
        agent.setTarget(v.spec().id(), 1);
        agent.reconcile();
        assertEquals(2, f.load().ready(), "the idle instance above the target is stopped");
        assertEquals(2, f.load().busy());

        held.get(1).release();
        assertEquals(1, f.load().ready(), "a busy instance above the target stops once idle");
        assertEquals(InstanceState.READY, held.get(2).instance().state(), "the in-flight request keeps its instance");
        held.get(2).release();
        assertEquals(1, f.load().ready(), "the target's instance stays");
        agent.reconcile();
        assertEquals(1, f.load().ready());
    }

    @Test
    void anInstanceStartedAfterTheTargetWasSetWaitsForTheScalersAnswer() {
        FunctionVersion v = f.deployed(5);
        agent.setTarget(v.spec().id(), 0); // the scaler's first round after the deploy: nobody called it yet
        agent.reconcile();
        f.nanos.advance(Duration.ofMillis(10));
        Lease first = f.lease(v); // the first request starts an instance (and wakes the scaler)
        first.release(); // it ends before the scaler has answered
        assertEquals(InstanceState.READY, first.instance().state(), "the scaler has not seen this instance yet");
        agent.reconcile();
        assertEquals(1, f.load().ready(), "nor does reconciliation stop it at once");

        agent.setTarget(v.spec().id(), 1); // the scaler answers
        agent.reconcile();
        assertEquals(1, f.load().ready());
        assertEquals(1, f.driver.started.size(), "the instance that served the request is the one kept");

        agent.setTarget(v.spec().id(), 0); // once the scaler has seen it, its target applies at once again
        agent.reconcile();
        assertEquals(0, f.load().ready());
    }

    @Test
    void aNegativeTargetIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> agent.setTarget(AgentFixture.FN, -1));
        assertTrue(e.getMessage().contains(">= 0"), e.getMessage());
    }
}
