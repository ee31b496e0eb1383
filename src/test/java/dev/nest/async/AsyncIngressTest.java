package dev.nest.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsyncIngressTest {
    @TempDir
    Path dir;
    private final FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final AtomicInteger wakes = new AtomicInteger();
    private H2EventQueue queue;
    private AsyncIngress ingress;
    private final FunctionVersion version = new FunctionVersion(1, "sha256:00", new FunctionSpec(
            FunctionId.of("default", "f"), "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(),
            new ScalingSpec(0, 10, Duration.ofMinutes(10)), QueueSpec.DEFAULT), Instant.EPOCH, "test");

    @BeforeEach
    void open() {
        queue = H2EventQueue.open("jdbc:h2:file:" + dir.resolve("nest") + ";DB_CLOSE_ON_EXIT=FALSE", clock);
        ingress = new AsyncIngress(queue, new AsyncConfig("h2", 100, 8, Duration.ofMinutes(30), Duration.ofSeconds(1),
                Duration.ofHours(24)), clock, wakes::incrementAndGet, "secret");
    }

    @AfterEach
    void close() {
        queue.close();
    }

    private Acceptance accept(List<String> headers, int size) {
        return ingress.accept(version, "PUT", "/items/1", "x=1", headers, new byte[size]).join();
    }

    @Test
    void invocationTypeHeaders() {
        assertTrue(AsyncIngress.wantsAsync(List.of("X-Nest-Invocation-Type", "async")));
        assertTrue(AsyncIngress.wantsAsync(List.of("Accept", "*/*", "x-amz-invocation-type", "Event")));
        assertFalse(AsyncIngress.wantsAsync(List.of("X-Amz-Invocation-Type", "RequestResponse")));
        assertFalse(AsyncIngress.wantsAsync(List.of()));
    }

    private static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    @Test
    void anEventWithoutAValidTraceIsStoredWithANewOneSoThatEveryAttemptSharesIt() {
        for (List<String> headers : List.of(List.of("Content-Type", "text/plain"),
                List.of("traceparent", "00-a-b-01", "tracestate", "v=1", "Content-Type", "text/plain"))) {
            Acceptance.Accepted a = assertInstanceOf(Acceptance.Accepted.class, accept(headers, 10));
            List<String> stored = queue.request(a.id()).orElseThrow().headers();
            assertEquals(List.of("Content-Type", "text/plain", "traceparent"), stored.subList(0, 3));
            assertTrue(dev.nest.common.TraceContext.parse(stored.get(3)).isPresent(), stored.toString());
        }
    }

    @Test
    void acceptedEventIsStoredWithoutCredentialsOrControlHeaders() {
        Acceptance.Accepted a = assertInstanceOf(Acceptance.Accepted.class, accept(List.of("Host", "x",
                "X-Nest-Invocation-Type", "async", "Authorization", "Bearer t", "traceparent", TRACE,
                "Content-Type", "text/plain"), 10));
        assertEquals("/api/v1/invocations/" + a.id(), a.location());
        assertEquals("{\"invocationId\":\"" + a.id() + "\"}", new String(a.body(), StandardCharsets.UTF_8));
        NewEvent e = queue.request(a.id()).orElseThrow();
        assertEquals(List.of("traceparent", TRACE, "Content-Type", "text/plain"), e.headers());
        assertEquals("default/f", e.function());
        assertEquals("/items/1", e.path());
        assertEquals(1, wakes.get());
    }

    @Test
    void payloadOverTheLimitIs413() {
        Acceptance.Rejected r = assertInstanceOf(Acceptance.Rejected.class, accept(List.of(), 101));
        assertEquals(413, r.status());
        assertInstanceOf(Acceptance.Accepted.class, accept(List.of(), 100));
    }

    @Test
    void idempotencyKeyGivesTheFirstIdWithinADayAndIsNewAfter() {
        String first = assertInstanceOf(Acceptance.Accepted.class, accept(List.of("Idempotency-Key", "k1"), 1)).id();
        clock.advance(Duration.ofHours(23).plusMinutes(59));
        Acceptance.Accepted again = assertInstanceOf(Acceptance.Accepted.class, accept(List.of("idempotency-key", "k1"), 1));
        assertEquals(first, again.id());
        assertTrue(again.duplicate());
        assertEquals(1, queue.lease(10, Duration.ofMinutes(1), f -> 10).size(), "enqueued once");
        clock.advance(Duration.ofMinutes(2));
        Acceptance.Accepted later = assertInstanceOf(Acceptance.Accepted.class, accept(List.of("Idempotency-Key", "k1"), 1));
        assertFalse(later.duplicate());
        assertFalse(later.id().equals(first));
    }

    @Test
    void closedQueueIs503() {
        queue.close();
        Acceptance.Rejected r = assertInstanceOf(Acceptance.Rejected.class, accept(List.of(), 1));
        assertEquals(503, r.status());
    }

    @Test
    void deliveryHeaderNeedsTheToken() {
        assertEquals(Optional.of("abc"), ingress.delivery(List.of("X-Nest-Async-Delivery", ingress.deliveryHeader("abc"))));
        assertEquals(Optional.empty(), ingress.delivery(List.of("X-Nest-Async-Delivery", "abc forged")));
        assertEquals(Optional.empty(), ingress.delivery(List.of("X-Nest-Async-Delivery", "abc")));
    }

    @Test
    void loopbackTellsAdmissionFromTheFunctionsOwnAnswers() {
        byte[] nest = "{\"error\":\"too many requests\",\"detail\":\"...\"}".getBytes(StandardCharsets.UTF_8);
        assertInstanceOf(Outcome.Refused.class, LoopbackInvoker.outcome(429, false, nest, 1));
        assertInstanceOf(Outcome.Refused.class, LoopbackInvoker.outcome(503, true, new byte[0], 1));
        assertInstanceOf(Outcome.Answered.class, LoopbackInvoker.outcome(503, false, "busy".getBytes(), 1));
        assertInstanceOf(Outcome.Answered.class, LoopbackInvoker.outcome(500, false, nest, 1));
    }
}
