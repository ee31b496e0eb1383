package dev.nest.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.auth.FakeClock;
import dev.nest.common.Json;
import dev.nest.report.Report;
import dev.nest.report.ReportWindow;
import dev.nest.report.Scope;
import dev.nest.trigger.TriggerStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The leader's rounds over fakes: one message per firing, one per resolution, none repeated by a new leader. */
class AlertEvaluatorTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final FakeClock clock = new FakeClock(T0);
    private final InMemoryAlertStore store = new InMemoryAlertStore();
    private final AtomicReference<Double> errorRate = new AtomicReference<>(0.0);
    private final AtomicBoolean reportFails = new AtomicBoolean();
    private final AtomicBoolean leads = new AtomicBoolean(true);
    private final List<Scope> asked = new ArrayList<>();
    private final ObjectNode cron = JsonNodeFactory.instance.objectNode();

    private Report report(Scope scope, ReportWindow w) {
        asked.add(scope);
        if (reportFails.get()) {
            throw new IllegalStateException("no report");
        }
        Report.Totals t = new Report.Totals(100, 0, errorRate.get(), 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0);
        return new Report(Optional.of("cart"), "shop", w.label(), T0, T0, 60, false, List.of(), t, List.of());
    }

    private static AlertRule rule(String name, String when) {
        return AlertRule.parse(name, Json.tree(("{\"namespace\":\"shop\",\"function\":\"cart\",\"when\":\"" + when
                + "\",\"webhook\":\"https://hooks.example.com/T1\"}").getBytes(StandardCharsets.UTF_8), "r"),
                u -> Optional.empty(), T0);
    }

    @Test
    void firesOnceStaysQuietThenResolvesOnce() {
        store.put(rule("cart-errors", "error-rate > 5% over 5m"));
        Webhooks w = new Webhooks((u, j) -> { }, d -> { }, u -> Optional.empty()); // not started: messages wait
        AlertEvaluator e = new AlertEvaluator(store, this::report, (fn, since) -> 0, id -> List.of(), w, leads::get,
                clock);
        e.round();
        assertEquals(Optional.empty(), Optional.ofNullable(store.states().get("cart-errors")), "ok is not written");
        errorRate.set(0.2);
        e.round();
        assertEquals(AlertState.FIRING, store.states().get("cart-errors").state());
        assertEquals(1, store.stateWrites);
        e.round();
        e.round();
        assertEquals(1, store.stateWrites, "a firing rule is not written again");
        errorRate.set(0.01);
        clock.advance(Duration.ofSeconds(15));
        e.round();
        assertEquals(AlertState.RESOLVED, store.states().get("cart-errors").state());
        assertEquals(T0.plusSeconds(15), store.states().get("cart-errors").since());
        assertEquals(2, store.stateWrites);
    }

    @Test
    void messagesGoOutOncePerChangeAndANewLeaderDoesNotRepeatThem() throws Exception {
        store.put(rule("cart-errors", "error-rate > 5% over 5m"));
        RecordingTransport t = new RecordingTransport();
        Webhooks w = new Webhooks(t, d -> { }, u -> Optional.empty());
        w.start();
        AlertEvaluator first = new AlertEvaluator(store, this::report, (fn, since) -> 0, id -> List.of(), w,
                leads::get, clock);
        errorRate.set(0.5);
        first.round();
        first.round();
        t.await(1);
        // leadership moves: a new leader's evaluator starts from the stored state
        leads.set(false);
        first.round();
        AlertEvaluator second = new AlertEvaluator(store, this::report, (fn, since) -> 0, id -> List.of(), w,
                () -> true, clock);
        second.round();
        errorRate.set(0.0);
        second.round();
        t.await(2);
        w.close();
        assertEquals(2, t.texts.size(), t.texts.toString());
        assertTrue(t.texts.get(0).startsWith("[FIRING] cart-errors: shop/cart error-rate > 5% over 5m (now 50.00%)"),
                t.texts.toString());
        assertTrue(t.texts.get(1).startsWith("[RESOLVED] cart-errors"), t.texts.toString());
    }

    @Test
    void aFollowerJudgesNothingAndAFailedObservationChangesNothing() {
        store.put(rule("cart-p99", "p99 > 1ms over 5m"));
        leads.set(false);
        AlertEvaluator e = new AlertEvaluator(store, this::report, (fn, since) -> 0, id -> List.of(),
                new Webhooks((u, j) -> { }, d -> { }, u -> Optional.empty()), leads::get, clock);
        e.round();
        assertTrue(asked.isEmpty());
        leads.set(true);
        reportFails.set(true);
        e.round();
        assertTrue(store.states().isEmpty());
        reportFails.set(false);
        e.round();
        assertEquals(AlertState.FIRING, store.states().get("cart-p99").state(), "p99 3 ms > 1 ms");
        assertEquals(Optional.of(AlertState.FIRING), e.status("cart-p99").map(AlertStatus::state));
    }

    @Test
    void aStalledCronTriggerFires() {
        store.put(rule("nightly-stalled", "cron-stalled > 2m"));
        cron.put("schedule", "*/5 * * * *");
        cron.put("timezone", "UTC");
        cron.put("lastFire", "2025-12-31T23:50:00Z");
        AlertEvaluator e = new AlertEvaluator(store, this::report, (fn, since) -> 0,
                id -> List.of(new TriggerStatus("nightly", "cron", Optional.of("leader"), true, Optional.empty(), cron)),
                new Webhooks((u, j) -> { }, d -> { }, u -> Optional.empty()), leads::get, clock);
        e.round(); // due 23:55, 5 minutes late at 00:00
        AlertStatus s = store.states().get("nightly-stalled");
        assertEquals(AlertState.FIRING, s.state());
        assertEquals(300_000.0, s.value().orElseThrow());
        assertTrue(s.detail().contains("trigger nightly"), s.detail());
        cron.put("lastFire", "2025-12-31T23:55:00Z");
        e.round();
        assertEquals(AlertState.RESOLVED, store.states().get("nightly-stalled").state());
    }

    @Test
    void deadLettersAreCountedOverTheWindow() {
        store.put(rule("cart-dlq", "dead-letters > 0 over 1h"));
        List<Instant> since = new ArrayList<>();
        AlertEvaluator e = new AlertEvaluator(store, this::report, (fn, s) -> {
            since.add(s);
            return fn.equals("shop/cart") ? 2 : 0;
        }, id -> List.of(), new Webhooks((u, j) -> { }, d -> { }, u -> Optional.empty()), leads::get, clock);
        e.round();
        assertEquals(List.of(T0.minus(Duration.ofHours(1))), since);
        assertEquals(2.0, store.states().get("cart-dlq").value().orElseThrow());
    }

    /** Records what the webhooks' thread posts. */
    private static final class RecordingTransport implements Webhooks.Transport {
        final List<String> texts = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void post(java.net.URI url, byte[] json) {
            texts.add(Json.tree(json, "m").get("text").asText());
            synchronized (this) {
                notifyAll();
            }
        }

        synchronized void await(int n) throws InterruptedException {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (texts.size() < n && System.nanoTime() < deadline) {
                wait(100);
            }
        }
    }
}
