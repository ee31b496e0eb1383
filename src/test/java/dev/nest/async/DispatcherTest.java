package dev.nest.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nest.function.AsyncSpec;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DispatcherTest {
    @TempDir
    Path dir;
    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final FakeInvoker invoker = new FakeInvoker();
    private final Map<String, FunctionVersion> live = new HashMap<>();
    private H2EventQueue queue;
    private Dispatcher dispatcher;
    private int ids;

    @BeforeEach
    void open() {
        queue = H2EventQueue.open("jdbc:h2:file:" + dir.resolve("nest") + ";DB_CLOSE_ON_EXIT=FALSE", clock);
        dispatcher = new Dispatcher(queue, invoker, f -> Optional.ofNullable(live.get(f)),
                new AsyncConfig("h2", 1 << 20, 8, Duration.ofMinutes(30), Duration.ofSeconds(1), Duration.ofHours(24)),
                clock, () -> 0.999);
    }

    @AfterEach
    void close() {
        dispatcher.close();
        queue.close();
    }

    private void deploy(String name, int scalingMax, AsyncSpec async) {
        FunctionSpec spec = new FunctionSpec(FunctionId.of("default", name), "nodejs", "", 128, Duration.ofSeconds(30),
                1, Map.of(), new ScalingSpec(0, scalingMax, Duration.ofMinutes(10)), QueueSpec.DEFAULT,
                dev.nest.function.InvocationAuth.PUBLIC, async);
        live.put(spec.id().toString(), new FunctionVersion(1, "sha256:00", spec, clock.instant(), "test"));
    }

    private String enqueue(String name) {
        String id = "e" + ids++;
        queue.enqueue(new NewEvent(id, "default/" + name, "POST", "/", "", List.of("traceparent", "00-t-s-01"),
                "in".getBytes(StandardCharsets.UTF_8), Optional.empty(), clock.instant())).join();
        return id;
    }

    private static AsyncSpec spec(int retries, int concurrency, Optional<String> onSuccess, Optional<String> onFailure) {
        return new AsyncSpec(retries, Duration.ofMinutes(10), concurrency, onSuccess, onFailure);
    }

    private EventState state(String id) {
        return queue.status(id).orElseThrow().state();
    }

    @Test
    void cancelWithdrawsAWaitingEventForGood() {
        deploy("a", 10, AsyncSpec.DEFAULT);
        String id = enqueue("a");
        assertTrue(dispatcher.cancel(id, "replaced by tick 2").join());
        assertEquals(EventState.CANCELLED, state(id));
        assertEquals("cancelled: replaced by tick 2", queue.status(id).orElseThrow().lastError());
        clock.advance(Duration.ofHours(1));
        dispatcher.tick();
        assertTrue(invoker.deliveries.isEmpty(), "a cancelled event is never delivered");
        assertFalse(dispatcher.cancel(id, "again").join(), "finished: nothing to cancel");
        assertFalse(dispatcher.cancel("no-such-event", "x").join());
    }

    @Test
    void cancelStopsADeliveryUnderWayAndRecordsItsAnswerAsCancelledNotAsAFailure() throws Exception {
        deploy("a", 10, spec(3, 2, Optional.empty(), Optional.empty()));
        String id = enqueue("a");
        dispatcher.tick();
        FakeInvoker.Delivery d = invoker.next(Duration.ofSeconds(5));
        List<String> asked = new ArrayList<>();
        dispatcher.stopsWith((invocation, reason) -> {
            asked.add(invocation + ": " + reason);
            return CompletableFuture.completedFuture(true);
        });
        CompletableFuture<Boolean> cancelled = dispatcher.cancel(id, "replaced");
        assertFalse(cancelled.isDone(), "done once the stop's answer is stored");
        d.outcome().complete(stoppedAnswer());
        assertTrue(cancelled.join());
        assertEquals(List.of(id + ": replaced"), asked);
        assertEquals(EventState.CANCELLED, state(id), "not retried, not dead");
        assertEquals(0, dispatcher.inFlight());
        clock.advance(Duration.ofHours(1));
        dispatcher.tick();
        assertEquals(1, invoker.deliveries.size(), "never delivered again");
    }

    @Test
    void theStopsAnswerMayArriveBeforeTheStopCompletes() throws Exception {
        deploy("a", 10, spec(3, 2, Optional.empty(), Optional.empty()));
        String id = enqueue("a");
        dispatcher.tick();
        FakeInvoker.Delivery d = invoker.next(Duration.ofSeconds(5));
        CompletableFuture<Boolean> stop = new CompletableFuture<>();
        dispatcher.stopsWith((invocation, reason) -> stop);
        CompletableFuture<Boolean> cancelled = dispatcher.cancel(id, "replaced");
        Thread answer = Thread.ofPlatform().start(() -> d.outcome().complete(stoppedAnswer())); // the HTTP client's thread
        stop.complete(true); // the gateway's loop, right after it answered
        answer.join();
        assertTrue(cancelled.join());
        assertEquals(EventState.CANCELLED, state(id));
    }

    private static Outcome stoppedAnswer() {
        return new Outcome.Answered(409, 3, "{\"error\": \"invocation stopped\"}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aDeliveryTheGatewayCannotStopGoesOnAndEndsAsItAnswers() throws Exception {
        deploy("a", 10, AsyncSpec.DEFAULT);
        String id = enqueue("a");
        dispatcher.tick();
        FakeInvoker.Delivery d = invoker.next(Duration.ofSeconds(5));
        // waiting for an instance, or forwarded to another node: not stopped here
        dispatcher.stopsWith((invocation, reason) -> CompletableFuture.completedFuture(false));
        assertFalse(dispatcher.cancel(id, "replaced").join());
        assertEquals(EventState.RUNNING, state(id));
        d.outcome().complete(new Outcome.Answered(200, 1, "done".getBytes(StandardCharsets.UTF_8)));
        assertEquals(EventState.SUCCEEDED, state(id));
    }

    @Test
    void aStopThatLostTheRaceToTheAnswerLeavesTheAnswerAsItIs() throws Exception {
        deploy("a", 10, AsyncSpec.DEFAULT);
        String id = enqueue("a");
        dispatcher.tick();
        FakeInvoker.Delivery d = invoker.next(Duration.ofSeconds(5));
        CompletableFuture<Boolean> stop = new CompletableFuture<>();
        dispatcher.stopsWith((invocation, reason) -> stop);
        CompletableFuture<Boolean> cancelled = dispatcher.cancel(id, "replaced");
        Thread answer = Thread.ofPlatform().start(() -> d.outcome().complete(new Outcome.Answered(200, 1,
                "done".getBytes(StandardCharsets.UTF_8))));
        stop.complete(false); // the call had ended on the gateway's loop first
        answer.join();
        assertFalse(cancelled.join());
        assertEquals(EventState.SUCCEEDED, state(id));
    }

    @Test
    void perFunctionConcurrencyCapsDeliveries() {
        deploy("a", 10, spec(2, 2, Optional.empty(), Optional.empty()));
        deploy("b", 6, AsyncSpec.DEFAULT);
        for (int i = 0; i < 10; i++) {
            enqueue("a");
            enqueue("b");
        }
        dispatcher.tick();
        assertEquals(2, invoker.of("default/a").size(), "async.concurrency: 2");
        assertEquals(3, invoker.of("default/b").size(), "default: half of scaling.max 6");
        dispatcher.tick();
        assertEquals(5, invoker.open().size(), "nothing more while the caps are full");
        invoker.of("default/a").get(0).outcome().complete(new Outcome.Answered(200, 1, new byte[0]));
        dispatcher.tick();
        assertEquals(3, invoker.of("default/a").size());
    }

    @Test
    void nodeWideConcurrencyCapsDeliveries() {
        deploy("a", 100, AsyncSpec.DEFAULT);
        for (int i = 0; i < 20; i++) {
            enqueue("a");
        }
        dispatcher.tick();
        dispatcher.tick();
        assertEquals(8, invoker.open().size(), "async.concurrency of the node: 8");
        assertEquals(8, dispatcher.inFlight());
    }

    @Test
    void successIsRecordedWithItsResultAndTheTraceparentTravels() {
        deploy("a", 10, AsyncSpec.DEFAULT);
        String id = enqueue("a");
        dispatcher.tick();
        FakeInvoker.Delivery d = invoker.open().get(0);
        assertEquals(List.of("traceparent", "00-t-s-01"), d.event().request().headers());
        assertEquals(EventState.RUNNING, state(id));
        d.outcome().complete(new Outcome.Answered(201, 12, "done".getBytes(StandardCharsets.UTF_8)));
        EventStatus s = queue.status(id).orElseThrow();
        assertEquals(EventState.SUCCEEDED, s.state());
        assertEquals(201, s.status());
        assertEquals("done", new String(s.result().orElseThrow(), StandardCharsets.UTF_8));
        assertEquals(0, dispatcher.inFlight());
    }

    @Test
    void retriesExhaustedMakeADeadLetterThatCanBeRedriven() {
        deploy("a", 10, spec(1, 0, Optional.empty(), Optional.empty()));
        String id = enqueue("a");
        dispatcher.tick();
        invoker.open().get(0).outcome().complete(new Outcome.Answered(500, 3, "boom".getBytes()));
        EventStatus s = queue.status(id).orElseThrow();
        assertEquals(EventState.RETRYING, s.state());
        assertEquals(1, s.attempt());
        assertEquals(0, dispatcher.tick(), "not before its backoff");
        clock.advance(Duration.ofSeconds(1));
        dispatcher.tick();
        invoker.open().get(0).outcome().complete(new Outcome.Answered(502, 3, "boom again".getBytes()));
        assertEquals(EventState.DEAD, state(id));
        List<EventStatus> dead = queue.deadLetters("default/a", 10);
        assertEquals(1, dead.size());
        assertTrue(dead.get(0).lastError().contains("boom again"), dead.get(0).lastError());
        assertEquals(1, queue.redrive("default/a", Optional.of(id)));
        dispatcher.tick();
        invoker.open().get(0).outcome().complete(new Outcome.Answered(200, 1, new byte[0]));
        assertEquals(EventState.SUCCEEDED, state(id));
    }

    @Test
    void admissionRefusalsDoNotUseUpAttemptsButMaxAgeEndsThem() {
        deploy("a", 10, spec(0, 0, Optional.empty(), Optional.empty()));
        String id = enqueue("a");
        for (int i = 0; i < 5; i++) {
            dispatcher.tick();
            invoker.open().get(0).outcome().complete(new Outcome.Refused(429, "too many requests"));
            EventStatus s = queue.status(id).orElseThrow();
            assertEquals(EventState.RETRYING, s.state(), "refusal " + i);
            assertEquals(0, s.attempt());
            clock.advance(Duration.ofSeconds(20));
        }
        clock.advance(Duration.ofMinutes(10));
        dispatcher.tick();
        assertEquals(EventState.DEAD, state(id), "too old: dead without another try");
        assertTrue(queue.status(id).orElseThrow().lastError().contains("expired"));
        assertEquals(5, invoker.deliveries.size());
    }

    @Test
    void eventOfAFunctionThatIsGoneIsDead() {
        String id = enqueue("gone");
        dispatcher.tick();
        assertEquals(EventState.DEAD, state(id));
        assertTrue(invoker.deliveries.isEmpty());
    }

    @Test
    void destinationsGetARecordOfTheOutcome() throws Exception {
        deploy("a", 10, spec(0, 0, Optional.of("ok"), Optional.of("bad")));
        deploy("ok", 10, AsyncSpec.DEFAULT);
        deploy("bad", 10, AsyncSpec.DEFAULT);
        String good = enqueue("a");
        String failing = enqueue("a");
        dispatcher.tick();
        invoker.open().get(0).outcome().complete(new Outcome.Answered(200, 1, "yes".getBytes()));
        invoker.open().get(0).outcome().complete(new Outcome.Answered(500, 1, "no".getBytes()));
        assertEquals(EventState.SUCCEEDED, state(good));
        assertEquals(EventState.FAILED, state(failing));
        dispatcher.tick();
        JsonNode ok = new ObjectMapper().readTree(invoker.of("default/ok").get(0).event().request().body());
        assertEquals(good, ok.get("invocationId").asText());
        assertEquals("success", ok.get("condition").asText());
        assertEquals("yes", ok.get("response").asText());
        JsonNode bad = new ObjectMapper().readTree(invoker.of("default/bad").get(0).event().request().body());
        assertEquals(failing, bad.get("invocationId").asText());
        assertEquals("failure", bad.get("condition").asText());
        assertEquals(500, bad.get("status").asInt());
    }

    @Test
    void anHttpDestinationOnTheAllowListGetsTheRecordAndOneOffItIsADeadLetter() throws Exception {
        java.util.concurrent.BlockingQueue<String> posted = new java.util.concurrent.LinkedBlockingQueue<>();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/hook", x -> {
            posted.add(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            x.sendResponseHeaders(204, -1);
            x.close();
        });
        server.start();
        try {
            dispatcher.close();
            dispatcher = new Dispatcher(queue, invoker, f -> Optional.ofNullable(live.get(f)), new AsyncConfig("h2",
                    1 << 20, 8, Duration.ofMinutes(30), Duration.ofSeconds(1), Duration.ofHours(24), Map.of(),
                    new Destinations(List.of("127.0.0.1"))), clock, () -> 0.999);
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
            deploy("a", 10, spec(0, 0, Optional.empty(), Optional.of(url)));
            deploy("b", 10, spec(0, 0, Optional.empty(), Optional.of("http://localhost:" + server.getAddress().getPort()
                    + "/hook")));
            String toHook = enqueue("a");
            String refused = enqueue("b");
            dispatcher.tick();
            invoker.open().get(0).outcome().complete(new Outcome.Answered(500, 1, "no".getBytes()));
            invoker.open().get(0).outcome().complete(new Outcome.Answered(500, 1, "no".getBytes()));
            JsonNode record = new ObjectMapper().readTree(posted.poll(10, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(toHook, record.get("invocationId").asText());
            assertEquals("failure", record.get("condition").asText());
            assertEquals(EventState.FAILED, state(toHook));
            assertEquals(EventState.DEAD, state(refused), "localhost is not on the list (127.0.0.1 is)");
            assertTrue(queue.status(refused).orElseThrow().lastError().contains("not on async.destinations.allow"),
                    queue.status(refused).orElseThrow().lastError());
            assertEquals(0, posted.size());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void theThreadDeliversWhatIsEnqueuedAndStopsOnClose() throws Exception {
        deploy("a", 10, AsyncSpec.DEFAULT);
        dispatcher.start();
        String id = enqueue("a");
        dispatcher.wake();
        FakeInvoker.Delivery d = invoker.next(java.time.Duration.ofSeconds(10));
        assertEquals(id, d.event().id());
        d.outcome().complete(new Outcome.Answered(200, 1, new byte[0]));
        dispatcher.close();
        assertEquals(EventState.SUCCEEDED, state(id));
    }

    @Test
    void aLeaseThatIsNeverAnsweredIsDeliveredAgain() {
        deploy("a", 10, AsyncSpec.DEFAULT);
        enqueue("a");
        dispatcher.tick();
        assertEquals(1, invoker.deliveries.size());
        clock.advance(Duration.ofMinutes(30));
        Dispatcher second = new Dispatcher(queue, invoker, f -> Optional.ofNullable(live.get(f)), AsyncConfig.DEFAULTS,
                clock, () -> 0.5);
        second.tick();
        assertEquals(2, invoker.deliveries.size(), "at least once: the lease ended, so it is taken again");
    }
}
