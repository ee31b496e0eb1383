package dev.nest.trigger.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import dev.nest.function.FunctionId;
import dev.nest.trigger.FakeInvocationSink;
import dev.nest.trigger.InMemoryTriggerStates;
import dev.nest.trigger.InvocationSink.RunState;
import dev.nest.trigger.TriggerContext;
import dev.nest.trigger.TriggerEvent;
import dev.nest.trigger.TriggerStateStore;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Rounds driven by hand with a set clock: what is claimed, what is enqueued, across a change of leader. */
class CronTriggerSourceTest {
    private static final FunctionId FN = FunctionId.of("default", "tick");
    private final InMemoryTriggerStates store = new InMemoryTriggerStates();
    private final FakeInvocationSink sink = new FakeInvocationSink();
    private final Recording scheduler = new Recording();
    private Instant now = Instant.parse("2024-03-04T10:00:00.300Z");

    /** Records what is scheduled; runs at once only what has no delay (completions), the test calls the rounds. */
    static final class Recording extends ScheduledThreadPoolExecutor {
        final List<Long> delays = new ArrayList<>();

        Recording() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            if (delay == 0) {
                command.run();
                return super.schedule(() -> { }, 1, TimeUnit.DAYS);
            }
            delays.add(unit.toMillis(delay));
            return super.schedule(() -> { }, 1, TimeUnit.DAYS);
        }
    }

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private CronTriggerSource source(TriggerStateStore states, String settings) {
        ObjectNode s = (ObjectNode) Json.mapper().valueToTree(Json.yaml().convertValue(yaml(settings), Object.class));
        CronSettings cs = CronSettings.parse("t", s, new ArrayList<>()).orElseThrow();
        Clock clock = new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now;
            }
        };
        return new CronTriggerSource(new TriggerContext(FN, "cron-1", s, sink, states.of(FN, "cron-1"), clock,
                scheduler), cs);
    }

    private static JsonNode yaml(String text) {
        try {
            return Json.yaml().readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private List<String> firedTicks() {
        return sink.enqueued.stream().map(e -> {
            try {
                return Json.mapper().readTree(e.body()).path("time").asText();
            } catch (Exception x) {
                throw new IllegalStateException(x);
            }
        }).toList();
    }

    @Test
    void firesEachTickOnceAndWaitsForTheNext() {
        CronTriggerSource a = source(store.holder(), "schedule: '*/2 * * * * *'\npayload: {n: 1}");
        a.round(); // first round: starts counting from now, nothing fires
        assertEquals(List.of(), firedTicks());
        now = Instant.parse("2024-03-04T10:00:02.005Z");
        a.round();
        a.round(); // a second round in the same tick claims nothing more
        assertEquals(List.of("2024-03-04T10:00:02Z"), firedTicks());
        TriggerEvent e = sink.enqueued.getFirst();
        assertEquals("application/cloudevents+json", e.contentType());
        assertEquals("cron:cron-1:" + Instant.parse("2024-03-04T10:00:02Z").toEpochMilli(), e.idempotencyKey().orElseThrow());
        assertTrue(new String(e.body()).contains("\"data\":{\"n\":1}"), new String(e.body()));
        assertEquals(1995L, scheduler.delays.getLast()); // the next round at the next tick
    }

    @Test
    void aNewLeaderCatchesUpOnceAndTheOldOneCannotClaim() {
        CronTriggerSource a = source(store.holder(), "schedule: '*/2 * * * * *'");
        a.round();
        now = Instant.parse("2024-03-04T10:00:02.001Z");
        a.round();
        // a dies; b takes over 7 s later (fire-once: the latest missed tick fires once)
        CronTriggerSource b = source(store.holder(), "schedule: '*/2 * * * * *'");
        now = Instant.parse("2024-03-04T10:00:09.200Z");
        b.round();
        assertEquals(List.of("2024-03-04T10:00:02Z", "2024-03-04T10:00:08Z"), firedTicks());
        // the deposed leader wakes up: fenced, it fires nothing and stops
        now = Instant.parse("2024-03-04T10:00:10.001Z");
        a.round();
        assertFalse(a.status().path("active").asBoolean());
        b.round();
        assertEquals(List.of("2024-03-04T10:00:02Z", "2024-03-04T10:00:08Z", "2024-03-04T10:00:10Z"), firedTicks());
        JsonNode state = readState();
        assertEquals(2, state.path("missed").asLong()); // 04 and 06
    }

    @Test
    void skipDropsMissedTicks() {
        CronTriggerSource a = source(store.holder(), "schedule: '*/2 * * * * *'\nmisfire: skip");
        a.round();
        CronTriggerSource b = source(store.holder(), "schedule: '*/2 * * * * *'\nmisfire: skip");
        now = Instant.parse("2024-03-04T10:00:09.200Z");
        b.round();
        assertEquals(List.of(), firedTicks());
        now = Instant.parse("2024-03-04T10:00:10.010Z");
        b.round();
        assertEquals(List.of("2024-03-04T10:00:10Z"), firedTicks());
    }

    @Test
    void forbidSkipsWhileThePreviousRunIsUnfinished() {
        CronTriggerSource a = source(store.holder(), "schedule: '*/2 * * * * *'\nconcurrency: forbid");
        a.round();
        now = Instant.parse("2024-03-04T10:00:02.001Z");
        a.round();
        now = Instant.parse("2024-03-04T10:00:04.001Z");
        sink.states.put("e1", RunState.RUNNING);
        a.round();
        assertEquals(1, sink.enqueued.size());
        sink.states.put("e1", RunState.FINISHED);
        now = Instant.parse("2024-03-04T10:00:06.001Z");
        a.round();
        assertEquals(2, sink.enqueued.size());
        assertEquals(1, readState().path("missed").asLong());
    }

    @Test
    void replaceCancelsTheUnfinishedPreviousRunThenFires() {
        CronTriggerSource a = source(store.holder(), "schedule: '*/2 * * * * *'\nconcurrency: replace");
        a.round();
        now = Instant.parse("2024-03-04T10:00:02.001Z");
        a.round();
        int scheduled = scheduler.delays.size();
        sink.states.put("e1", RunState.RUNNING);
        now = Instant.parse("2024-03-04T10:00:04.001Z");
        a.round();
        assertEquals(List.of("e1"), sink.cancelled);
        assertEquals(List.of("2024-03-04T10:00:02Z", "2024-03-04T10:00:04Z"), firedTicks());
        assertEquals("e2", readState().path("invocation").asText());
        assertEquals(0, readState().path("missed").asLong());
        assertEquals(scheduled + 1, scheduler.delays.size(), "one next round, scheduled by the round after the cancel");
        // a finished previous run is left alone
        sink.states.put("e2", RunState.FINISHED);
        now = Instant.parse("2024-03-04T10:00:06.001Z");
        a.round();
        assertEquals(List.of("e1"), sink.cancelled);
        assertEquals(3, sink.enqueued.size());
    }

    @Test
    void replaceSkipsATickWhenThePreviousRunCannotBeStoppedAndTriesAgainNextTick() {
        CronTriggerSource a = source(store.holder(), "schedule: '*/2 * * * * *'\nconcurrency: replace");
        a.round();
        now = Instant.parse("2024-03-04T10:00:02.001Z");
        a.round();
        sink.states.put("e1", RunState.RUNNING);
        sink.cancelStops = false; // e.g. forwarded to another node
        now = Instant.parse("2024-03-04T10:00:04.001Z");
        a.round();
        assertEquals(List.of("e1"), sink.cancelled);
        assertEquals(1, sink.enqueued.size(), "no overlap: the tick is skipped");
        assertEquals(1, readState().path("missed").asLong());
        sink.cancelStops = true;
        now = Instant.parse("2024-03-04T10:00:06.001Z");
        a.round();
        assertEquals(List.of("e1", "e1"), sink.cancelled);
        assertEquals(List.of("2024-03-04T10:00:02Z", "2024-03-04T10:00:06Z"), firedTicks());
    }

    @Test
    void afterAFailoverReplaceStopsThePredecessorsRunThroughTheRegionThenFires() {
        TriggerStateStore holder = store.holder();
        CronTriggerSource old = source(holder, "schedule: '*/2 * * * * *'\nconcurrency: replace");
        old.round();
        now = Instant.parse("2024-03-04T10:00:02.001Z");
        old.round();
        old.close();
        // a new leader: the previous run (e1) is not in its ledger, only its id in the stored state
        sink.states.remove("e1");
        sink.elsewhere = dev.nest.trigger.StopResult.Outcome.STOPPED;
        CronTriggerSource next = source(store.holder(), "schedule: '*/2 * * * * *'\nconcurrency: replace");
        now = Instant.parse("2024-03-04T10:00:04.001Z");
        next.round();
        assertEquals(List.of("e1"), sink.cancelled, "the node holding e1 was asked to stop it");
        assertEquals(List.of("2024-03-04T10:00:02Z", "2024-03-04T10:00:04Z"), firedTicks());
        assertTrue(next.status().path("lastSkip").isMissingNode());
    }

    @Test
    void replaceSkipsATickWhenTheNodeRunningThePreviousRunCannotBeAskedAndSaysSo() {
        CronTriggerSource a = source(store.holder(), "schedule: '*/2 * * * * *'\nconcurrency: replace");
        a.round();
        now = Instant.parse("2024-03-04T10:00:02.001Z");
        a.round();
        sink.states.remove("e1"); // as after a failover: another node holds it
        sink.elsewhere = dev.nest.trigger.StopResult.Outcome.UNREACHABLE;
        now = Instant.parse("2024-03-04T10:00:04.001Z");
        a.round();
        assertEquals(1, sink.enqueued.size(), "no overlap with a run that may go on");
        assertEquals(1, readState().path("missed").asLong());
        String skip = a.status().path("lastSkip").asText();
        assertTrue(skip.contains("e1") && skip.contains("unreachable"), skip);
        // a previous run no node knows any more does not hold the next tick back
        sink.elsewhere = dev.nest.trigger.StopResult.Outcome.UNKNOWN;
        now = Instant.parse("2024-03-04T10:00:06.001Z");
        a.round();
        assertEquals(2, sink.enqueued.size());
    }

    @Test
    void aStaleViewOfTheStateIsReadAgainAndClaimsNothingTwice() {
        TriggerStateStore holder = store.holder();
        CronTriggerSource a = source(holder, "schedule: '*/2 * * * * *'");
        CronTriggerSource other = source(holder, "schedule: '*/2 * * * * *'"); // a second writer at the same epoch
        a.round();
        now = Instant.parse("2024-03-04T10:00:02.001Z");
        a.round();
        now = Instant.parse("2024-03-04T10:00:04.001Z");
        other.round(); // claims 04 first
        a.round(); // remembers the state before that: its write fails, it reads again and finds 04 claimed
        assertEquals(List.of("2024-03-04T10:00:02Z", "2024-03-04T10:00:04Z"), firedTicks());
        assertTrue(a.status().path("active").asBoolean());
    }

    private JsonNode readState() {
        try {
            return Json.mapper().readTree(store.stored(FN, "cron-1").orElseThrow().data());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
