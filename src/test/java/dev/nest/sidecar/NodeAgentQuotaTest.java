package dev.nest.sidecar;

import static dev.nest.sidecar.AgentFixture.BOUND_S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionVersion;
import dev.nest.namespace.NamespaceQuota;
import dev.nest.namespace.NamespaceUsage;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node agent refuses cold starts beyond the namespace's quota with a 429 that names it. */
class NodeAgentQuotaTest extends AgentTestBase {
    private final Map<String, NamespaceQuota> quotas = new HashMap<>();
    private final Map<String, NamespaceUsage> elsewhere = new HashMap<>();

    @BeforeEach
    void quotas() {
        agent.enforceQuotas(ns -> quotas.getOrDefault(ns, NamespaceQuota.NONE),
                ns -> elsewhere.getOrDefault(ns, NamespaceUsage.NONE));
    }

    private static FunctionVersion other(int max, int memoryMb) {
        return AgentFixture.version(AgentFixture.spec(max, memoryMb).withId(FunctionId.of("default", "other")));
    }

    private static void assertQuota429(InvokeException e, String key, String limit) {
        assertEquals(429, e.status());
        assertEquals("namespace quota exceeded", e.error());
        assertTrue(e.detail().contains(key + " of namespace 'default': limit " + limit), e.detail());
        assertTrue(e.detail().contains("nest ns set default"), e.detail());
        assertEquals(OptionalInt.of(30), e.retryAfterSeconds());
    }

    @Test
    void aSecondFunctionsColdStartIsRefusedAtTheInstanceQuota() {
        quotas.put("default", new NamespaceQuota(OptionalInt.of(1), OptionalLong.empty()));
        Lease first = f.lease(AgentFixture.version());
        InvokeException e = assertThrows(InvokeException.class, () -> agent.acquireAsync(other(1, 128), f.deadline()));
        assertQuota429(e, "quota.instances", "1");
        assertTrue(e.detail().contains("in use 1 instance(s)"), e.detail());
        first.release();
        assertThrows(InvokeException.class, () -> agent.acquireAsync(other(1, 128), f.deadline()),
                "the idle instance still holds the namespace's only slot");
        assertEquals(1, f.driver.started.size());
        assertTrue(agent.lastStartError(FunctionId.of("default", "other")).orElseThrow().contains("quota.instances"));
    }

    @Test
    void instancesOnOtherNodesCount() {
        quotas.put("default", new NamespaceQuota(OptionalInt.of(3), OptionalLong.empty()));
        elsewhere.put("default", new NamespaceUsage(3, 384));
        InvokeException e = assertThrows(InvokeException.class, () -> agent.acquireAsync(AgentFixture.version(), f.deadline()));
        assertQuota429(e, "quota.instances", "3");
        elsewhere.put("default", new NamespaceUsage(2, 256));
        f.lease(AgentFixture.version()).release();
    }

    @Test
    void memoryIsSummedOverTheInstances() throws Exception {
        quotas.put("default", new NamespaceQuota(OptionalInt.empty(), OptionalLong.of(256)));
        var leases = f.leases(AgentFixture.version(AgentFixture.spec(4, 128)), 2);
        InvokeException e = assertThrows(InvokeException.class, () -> agent.acquireAsync(other(1, 64), f.deadline()));
        assertQuota429(e, "quota.memory", "256Mi");
        leases.forEach(Lease::release);
    }

    @Test
    void aRequestWaitsForABusyInstanceInsteadOfBeingRefused() throws Exception {
        quotas.put("default", new NamespaceQuota(OptionalInt.of(1), OptionalLong.empty()));
        FunctionVersion v = AgentFixture.version(AgentFixture.spec(2, 128));
        Lease first = f.lease(v);
        Pending waiting = agent.acquireAsync(v, f.deadline());
        assertTrue(waiting.now().isEmpty(), "no second instance may start: the request queues for the first");
        first.release();
        Lease second = waiting.later().get(BOUND_S, TimeUnit.SECONDS);
        assertEquals(first.instance(), second.instance());
        second.release();
        assertEquals(1, f.driver.started.size());
    }

    @Test
    void otherNamespacesAreNotLimited() throws Exception {
        quotas.put("shop", new NamespaceQuota(OptionalInt.of(0), OptionalLong.empty()));
        f.leases(AgentFixture.version(AgentFixture.spec(3, 128)), 3).forEach(Lease::release);
        assertEquals(3, f.driver.started.size());
    }
}
