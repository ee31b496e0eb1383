package dev.nest.trigger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.InMemoryFunctionRegistry;
import dev.nest.function.TriggerSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Rounds called directly: which sources run as specs and leadership change. */
class TriggerManagerTest {
    private final InMemoryFunctionRegistry registry = new InMemoryFunctionRegistry();
    private final FakeProvider leaderOnly = new FakeProvider("tick", TriggerPlacement.LEADER);
    private final FakeProvider everywhere = new FakeProvider("feed", TriggerPlacement.EVERY_NODE);
    private final AtomicBoolean leads = new AtomicBoolean();
    private final TriggerManager manager = new TriggerManager(registry, TriggerTypes.of(List.of(leaderOnly, everywhere)),
            new FakeInvocationSink(), new InMemoryTriggerStates().holder(), leads::get, Clock.systemUTC());

    @AfterEach
    void close() {
        manager.close();
    }

    private void deploy(String name, List<TriggerSpec> triggers) {
        FunctionSpec spec = TriggerTypesTest.spec(triggers, true).withId(FunctionId.of("default", name));
        registry.update(spec.id(), "api", r -> r.withNewVersion("sha256:00", spec, "test", Instant.EPOCH, true));
    }

    @Test
    void leaderSourcesFollowTheLeadershipOthersRunEverywhere() {
        deploy("a", List.of(TriggerTypesTest.trigger("t", "tick", null, null),
                TriggerTypesTest.trigger("f", "feed", null, null)));
        manager.reconcile();
        assertEquals(List.of(), leaderOnly.events);
        assertEquals(List.of("start default/a/f"), everywhere.events);
        leads.set(true);
        manager.reconcile();
        assertEquals(List.of("start default/a/t"), leaderOnly.events);
        leads.set(false);
        manager.reconcile();
        assertEquals(List.of("start default/a/t", "stop default/a/t"), leaderOnly.events);
        assertEquals(1, manager.runningCount());
    }

    @Test
    void changedSettingsRestartTheSourceAndRemovedTriggersStop() {
        leads.set(true);
        deploy("a", List.of(TriggerTypesTest.trigger("t", "tick", "every", "1")));
        manager.reconcile();
        deploy("a", List.of(TriggerTypesTest.trigger("t", "tick", "every", "2")));
        manager.reconcile();
        deploy("a", List.of());
        manager.reconcile();
        assertEquals(List.of("start default/a/t {\"every\":\"1\"}", "stop default/a/t {\"every\":\"1\"}",
                "start default/a/t {\"every\":\"2\"}", "stop default/a/t {\"every\":\"2\"}"), leaderOnly.events);
        assertEquals(0, manager.runningCount());
    }

    @Test
    void unknownTypesAndRefusedSettingsAreShownNotRun() {
        leads.set(true);
        deploy("a", List.of(TriggerTypesTest.trigger("k", "kafka", null, null),
                TriggerTypesTest.trigger("t", "tick", "bad", "x")));
        manager.reconcile();
        assertEquals(0, manager.runningCount());
        List<TriggerStatus> s = manager.describe(FunctionId.of("default", "a"));
        assertEquals(2, s.size());
        assertTrue(s.get(0).problem().orElseThrow().contains("'kafka' is not installed"), s.toString());
        assertTrue(s.get(1).problem().orElseThrow().contains("triggers.t.bad"), s.toString());
        assertEquals("leader", s.get(1).runsOn().orElseThrow());
    }

    @Test
    void deletedFunctionsStopTheirSources() {
        deploy("a", List.of(TriggerTypesTest.trigger("f", "feed", null, null)));
        manager.reconcile();
        registry.delete(FunctionId.of("default", "a"));
        manager.reconcile();
        assertEquals(List.of("start default/a/f", "stop default/a/f"), everywhere.events);
        assertTrue(manager.describe(FunctionId.of("default", "a")).isEmpty());
    }
}
