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

/** Failing sources are restarted with a growing back-off and shown; what sources publish is labelled. */
class TriggerManagerFailuresTest {
    private final InMemoryFunctionRegistry registry = new InMemoryFunctionRegistry();
    private final FakeProvider feed = new FakeProvider("feed", TriggerPlacement.EVERY_NODE);
    private final dev.nest.auth.FakeClock clock = new dev.nest.auth.FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final TriggerManager manager = new TriggerManager(registry, TriggerTypes.of(List.of(feed)),
            new FakeInvocationSink(), new InMemoryTriggerStates().holder(), () -> true, clock);

    @AfterEach
    void close() {
        manager.close();
    }

    private void deploy(String name, List<TriggerSpec> triggers) {
        FunctionSpec spec = TriggerTypesTest.spec(triggers, true).withId(FunctionId.of("default", name));
        registry.update(spec.id(), "api", r -> r.withNewVersion("sha256:00", spec, "test", Instant.EPOCH, true));
    }

    @Test
    void retryDelayGrowsToItsCap() {
        record Case(int failures, long seconds) {
        }
        for (Case c : List.of(new Case(0, 0), new Case(1, 5), new Case(2, 10), new Case(3, 20), new Case(6, 160),
                new Case(7, 300), new Case(40, 300), new Case(Integer.MAX_VALUE, 300))) {
            assertEquals(c.seconds(), TriggerManager.retryDelay(c.failures()).toSeconds(), "failures " + c.failures());
        }
    }

    @Test
    void aSourceThatFailsToStartIsTriedAgainAfterItsBackOffAndShown() {
        feed.startFails = "broker unreachable";
        deploy("a", List.of(TriggerTypesTest.trigger("f", "feed", null, null)));
        manager.reconcile();
        manager.reconcile(); // within the back-off: no new attempt
        assertEquals(List.of("failed default/a/f", "stop default/a/f"), feed.events, "closed after its start threw");
        List<TriggerProblem> p = manager.problems();
        assertEquals(1, p.size(), p.toString());
        assertEquals("default/a", p.getFirst().function().orElseThrow());
        assertEquals("f", p.getFirst().trigger().orElseThrow());
        assertEquals("feed", p.getFirst().type());
        assertEquals(1, p.getFirst().failures());
        assertTrue(p.getFirst().problem().contains("broker unreachable") && p.getFirst().problem().contains("5 s"),
                p.getFirst().problem());
        clock.advance(java.time.Duration.ofSeconds(5));
        manager.reconcile();
        assertEquals(2, manager.problems().getFirst().failures());
        assertTrue(manager.problems().getFirst().problem().contains("10 s"), manager.problems().toString());
        feed.startFails = null;
        clock.advance(java.time.Duration.ofSeconds(10));
        manager.reconcile();
        assertEquals(1, manager.runningCount());
        // running again, but its failures stay shown until it has run a while
        assertEquals(2, manager.problems().getFirst().failures());
        assertTrue(manager.problems().getFirst().problem().startsWith("started again after 2 failures in a row"),
                manager.problems().toString());
        clock.advance(TriggerManager.HEALTHY_AFTER);
        manager.reconcile();
        assertTrue(manager.problems().isEmpty(), manager.problems().toString());
    }

    @Test
    void aSourceThatStopsBySelfIsClosedAndStartedAgain() {
        deploy("a", List.of(TriggerTypesTest.trigger("f", "feed", null, null)));
        manager.reconcile();
        feed.stopsBySelf = "poll thread ended: boom";
        manager.reconcile();
        assertEquals(0, manager.runningCount());
        assertTrue(manager.problems().getFirst().problem().contains("stopped by itself: poll thread ended: boom"),
                manager.problems().toString());
        feed.stopsBySelf = null;
        clock.advance(java.time.Duration.ofSeconds(5));
        manager.reconcile();
        assertEquals(List.of("start default/a/f", "stop default/a/f", "start default/a/f"), feed.events);
        assertEquals(1, manager.problems().getFirst().failures());
        // a second failure soon after the restart counts in a row and waits longer
        feed.stopsBySelf = "again";
        manager.reconcile();
        assertEquals(2, manager.problems().getFirst().failures());
        assertTrue(manager.problems().getFirst().problem().contains("in 10 s)"), manager.problems().toString());
    }

    @Test
    void unknownTypesAreProblemsWithoutFailures() {
        deploy("a", List.of(TriggerTypesTest.trigger("k", "kafka", null, null)));
        manager.reconcile();
        TriggerProblem p = manager.problems().getFirst();
        assertEquals(0, p.failures());
        assertEquals("kafka", p.type());
        assertTrue(p.problem().contains("not installed"), p.problem());
    }

    @Test
    void metricsCarryTheFunctionAndTriggerFirst() {
        deploy("b", List.of(TriggerTypesTest.trigger("f", "feed", null, null)));
        deploy("a", List.of(TriggerTypesTest.trigger("f", "feed", null, null)));
        manager.reconcile();
        List<dev.nest.metrics.MetricSample> m = manager.metrics();
        assertEquals(4, m.size());
        assertEquals(new dev.nest.metrics.MetricSample("nest_trigger_lag_records", "gauge", "Records behind.",
                List.of("function", "default/a", "trigger", "f", "partition", "0"), 7), m.get(0));
        assertEquals(new dev.nest.metrics.MetricSample("nest_trigger_records_total", "counter", "Records handled.",
                List.of("function", "default/a", "trigger", "f"), 3), m.get(1));
        assertEquals("default/b", m.get(2).labels().get(1));
    }

    @Test
    void aPluginMissingACodeFailsItsOwnTriggerOnlyAndWhatItStartedIsClosed() {
        List<String> closed = new java.util.concurrent.CopyOnWriteArrayList<>();
        FakeProvider linkage = new FakeProvider("linked", TriggerPlacement.EVERY_NODE) {
            @Override
            public TriggerSource create(TriggerContext context) {
                if (context.name().equals("missing")) {
                    throw new NoClassDefFoundError("org/apache/kafka/clients/consumer/KafkaConsumer");
                }
                return new TriggerSource() {
                    @Override
                    public void start() {
                        throw new ExceptionInInitializerError("static init of a plugin class failed");
                    }

                    @Override
                    public void close() {
                        closed.add(context.name());
                    }

                    @Override
                    public com.fasterxml.jackson.databind.node.ObjectNode status() {
                        throw new IllegalStateException("never asked: it does not run");
                    }
                };
            }
        };
        TriggerManager m = new TriggerManager(registry, TriggerTypes.of(List.of(linkage, feed)),
                new FakeInvocationSink(), new InMemoryTriggerStates().holder(), () -> true, clock);
        try {
            deploy("a", List.of(TriggerTypesTest.trigger("missing", "linked", null, null),
                    TriggerTypesTest.trigger("throws", "linked", null, null),
                    TriggerTypesTest.trigger("f", "feed", null, null)));
            m.reconcile();
            assertEquals(1, m.runningCount(), "the healthy trigger runs");
            assertEquals(List.of("start default/a/f"), feed.events);
            assertEquals(List.of("throws"), closed, "a source whose start threw is closed");
            List<TriggerProblem> p = m.problems();
            assertEquals(2, p.size(), p.toString());
            assertTrue(p.get(0).problem().contains("missing code") && p.get(0).problem().contains("KafkaConsumer"),
                    p.toString());
            assertTrue(p.get(1).problem().contains("static init of a plugin class failed"), p.toString());
        } finally {
            m.close();
        }
    }

    @Test
    void aSourceWhoseStatusThrowsStillShowsItsTrigger() {
        FakeProvider loud = new FakeProvider("loud", TriggerPlacement.EVERY_NODE) {
            @Override
            public TriggerSource create(TriggerContext context) {
                return new TriggerSource() {
                    @Override
                    public void start() {
                    }

                    @Override
                    public void close() {
                    }

                    @Override
                    public com.fasterxml.jackson.databind.node.ObjectNode status() {
                        throw new IllegalStateException("status broke");
                    }
                };
            }
        };
        TriggerManager m = new TriggerManager(registry, TriggerTypes.of(List.of(loud)), new FakeInvocationSink(),
                new InMemoryTriggerStates().holder(), () -> true, clock);
        try {
            deploy("a", List.of(TriggerTypesTest.trigger("l", "loud", null, null)));
            m.reconcile();
            TriggerStatus s = m.describe(FunctionId.of("default", "a")).getFirst();
            assertTrue(s.running());
            assertTrue(s.details().path("statusError").asText().contains("status broke"), s.toString());
        } finally {
            m.close();
        }
    }

    @Test
    void sourcesBeyondTheNodesLimitDoNotStartAndSaySo() {
        TriggerManager m = new TriggerManager(registry, TriggerTypes.of(List.of(feed)), new FakeInvocationSink(),
                new InMemoryTriggerStates().holder(), () -> true, clock, 2);
        try {
            deploy("c", List.of(TriggerTypesTest.trigger("f", "feed", null, null)));
            deploy("a", List.of(TriggerTypesTest.trigger("f", "feed", null, null),
                    TriggerTypesTest.trigger("g", "feed", null, null)));
            m.reconcile();
            assertEquals(2, m.runningCount());
            assertEquals(List.of("start default/a/f", "start default/a/g"), feed.events, "by function and name");
            List<TriggerProblem> p = m.problems();
            assertEquals(1, p.size(), p.toString());
            assertEquals("default/c", p.getFirst().function().orElseThrow());
            assertTrue(p.getFirst().problem().contains("runs 2 trigger sources, its limit (3 are wanted here)"),
                    p.toString());
            deploy("a", List.of(TriggerTypesTest.trigger("f", "feed", null, null)));
            m.reconcile();
            assertEquals(2, m.runningCount(), "room again: the third starts");
            assertTrue(m.problems().isEmpty(), m.problems().toString());
        } finally {
            m.close();
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new TriggerManager(
                registry, TriggerTypes.of(List.of(feed)), new FakeInvocationSink(),
                new InMemoryTriggerStates().holder(), () -> true, clock, 0));
    }

    @Test
    void metricNamesAndLabelsAreChecked() {
        for (Runnable bad : List.<Runnable>of(
                () -> TriggerMetric.gauge("Lag", "x", 1),
                () -> TriggerMetric.counter("records", "x", 1),
                () -> TriggerMetric.gauge("lag", "x", 1, "function", "f"),
                () -> TriggerMetric.gauge("lag", "x", 1, "partition"))) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, bad::run);
        }
    }
}
