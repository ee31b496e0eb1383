package dev.nest.gateway;

import static dev.nest.gateway.FakeInstanceLeases.take;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.async.AsyncConfig;
import dev.nest.async.AsyncInvocations;
import dev.nest.async.EventState;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.InvocationAuth;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.store.InvocationRecord;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's async hook: accept (with the token check of a token function), delivery, the delivery marker. */
class GatewayAsyncTest {
    private static final FunctionId OPEN = FunctionId.of("default", "echo");
    private static final FunctionId CLOSED = FunctionId.of("team-a", "closed");

    @TempDir
    Path dir;
    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private final FakeInstanceLeases leases = new FakeInstanceLeases();
    private final BlockingQueue<InvocationRecord> records = new LinkedBlockingQueue<>();
    private FakeHost host;
    private Gateway gateway;
    private AsyncInvocations async;

    private static final InvokeAuth AUTH = (authorization, namespace) -> {
        if (authorization.isEmpty()) {
            throw new NestException(401, "unauthorized", "this endpoint needs a token");
        }
        if (!authorization.get().equals("Bearer good-" + namespace)) {
            throw new NestException(403, "forbidden", "the token does not cover " + namespace);
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        deploy(OPEN, InvocationAuth.PUBLIC);
        deploy(CLOSED, InvocationAuth.TOKEN);
        host = new FakeHost();
        host.handler = FakeHost.answer(200, "done");
        leases.serveAtOnce("i-1", host.port());
        Gateway[] g = new Gateway[1];
        async = AsyncInvocations.open(AsyncConfig.DEFAULTS,
                "jdbc:h2:file:" + dir.resolve("nest") + ";DB_CLOSE_ON_EXIT=FALSE", catalog, "127.0.0.1",
                () -> g[0].port(), Clock.systemUTC());
        gateway = new Gateway(catalog, leases, records::add, 1024, Clock.systemUTC(), PeerRoutes.LOCAL_ONLY, AUTH,
                Optional.of(async.ingress()));
        g[0] = gateway;
        gateway.start("127.0.0.1", 0, 1, 1);
        async.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        async.close();
        gateway.close();
        host.close();
    }

    private void deploy(FunctionId id, InvocationAuth a) {
        FunctionSpec spec = new FunctionSpec(id, "fake", "", 128, Duration.ofSeconds(5), 1, Map.of(),
                new ScalingSpec(0, 1, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)), a);
        catalog.put(FunctionRecord.empty(id, "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", Instant.EPOCH, true));
    }

    private RawClient.Response post(String target, String... headers) throws Exception {
        try (RawClient c = new RawClient(gateway.port())) {
            return c.request("POST", target, "ping", headers).read();
        }
    }

    private void awaitState(String id, EventState state) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (async.ledger().status(id).map(s -> s.state() != state).orElse(true) && System.nanoTime() < end) {
            Thread.onSpinWait();
            TimeUnit.MILLISECONDS.sleep(5);
        }
        assertEquals(state, async.ledger().status(id).orElseThrow().state());
    }

    @Test
    void anAsyncRequestIsAcceptedThenDeliveredWithoutTheDeliveryMarker() throws Exception {
        RawClient.Response r = post("/fn/echo/x?y=1", "X-Nest-Invocation-Type: async", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertEquals(202, r.status());
        String id = Json.tree(r.body(), "x").get("invocationId").asText();
        assertEquals(Optional.of("/api/v1/invocations/" + id), r.header("location"));
        assertEquals(Optional.of(id), r.header("x-nest-invocation-id"));
        FakeHost.Request sent = host.take();
        assertEquals("/invoke/i-1/x?y=1", sent.target());
        assertEquals("0af7651916cd43dd8448eb211c80319c", dev.nest.common.TraceContext.parse(
                sent.headers().get("traceparent")).orElseThrow().traceId(), "the delivery continues the caller's trace");
        assertNull(sent.headers().get("x-nest-async-delivery"), "the function never sees the delivery marker");
        assertNull(sent.headers().get("x-nest-invocation-type"));
        assertEquals(id, sent.headers().get("x-nest-invocation-id"));
        assertEquals(id, take(records, "record").id());
        awaitState(id, EventState.SUCCEEDED);
    }

    @Test
    void anAsyncRequestOverTheRateIsRefusedWhenAcceptedAndItsDeliveryIsNotLimitedAgain() throws Exception {
        FunctionId metered = FunctionId.of("default", "metered");
        FunctionSpec spec = new FunctionSpec(metered, "fake", "", 128, Duration.ofSeconds(5), 1, Map.of(),
                new ScalingSpec(0, 1, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)))
                .withProtection(new dev.nest.function.LimitsSpec(Optional.of(dev.nest.common.Rate.parse("1/m")), 1),
                        Optional.empty());
        catalog.put(FunctionRecord.empty(metered, "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", Instant.EPOCH, true));
        RawClient.Response ok = post("/fn/metered", "X-Nest-Invocation-Type: async");
        assertEquals(202, ok.status());
        RawClient.Response refused = post("/fn/metered", "X-Nest-Invocation-Type: async");
        assertEquals(429, refused.status());
        int retry = Integer.parseInt(refused.header("retry-after").orElseThrow());
        assertTrue(retry > 1 && retry <= 60, "a token every minute: " + retry);
        assertEquals(retry, Json.tree(refused.body(), "x").get("retryAfterSeconds").asInt());
        String id = Json.tree(ok.body(), "x").get("invocationId").asText();
        awaitState(id, EventState.SUCCEEDED); // delivered although the bucket is empty
    }

    @Test
    void anAsyncRequestForATokenFunctionIsCheckedWhenItIsAccepted() throws Exception {
        RawClient.Response anonymous = post("/ns/team-a/fn/closed", "X-Nest-Invocation-Type: async");
        assertEquals(401, anonymous.status());
        assertEquals(Optional.of("token"), anonymous.header("x-nest-auth"));
        assertTrue(async.ledger().status(anonymous.header("x-nest-invocation-id").orElseThrow()).isEmpty());
        assertEquals(403, post("/ns/team-a/fn/closed", "X-Nest-Invocation-Type: async",
                "authorization: Bearer good-team-b").status());
        assertEquals(0, host.connections.get(), "a refused event is neither stored nor delivered");

        RawClient.Response ok = post("/ns/team-a/fn/closed", "X-Nest-Invocation-Type: async",
                "authorization: Bearer good-team-a");
        assertEquals(202, ok.status());
        String id = Json.tree(ok.body(), "x").get("invocationId").asText();
        FakeHost.Request sent = host.take();
        assertNull(sent.headers().get("authorization"), "the token is not stored with the event");
        assertNull(sent.headers().get("x-nest-async-delivery"));
        awaitState(id, EventState.SUCCEEDED);
    }

    @Test
    void aForgedDeliveryMarkerIsDroppedAndGetsNoPass() throws Exception {
        RawClient.Response r = post("/ns/team-a/fn/closed", "x-nest-async-delivery: 0123 not-the-secret");
        assertEquals(401, r.status(), "a forged delivery is an anonymous call");
        RawClient.Response open = post("/fn/echo", "x-nest-async-delivery: 0123 not-the-secret");
        assertEquals(200, open.status());
        assertNull(host.take().headers().get("x-nest-async-delivery"));
    }

    @Test
    void removeHeaderTakesEveryCopyAndReturnsTheFirst() {
        List<String> h = new ArrayList<>(List.of("A", "1", "b", "2", "a", "3"));
        assertEquals(Optional.of("1"), Gateway.removeHeader(h, "a"));
        assertEquals(List.of("b", "2"), h);
        assertEquals(Optional.empty(), Gateway.removeHeader(h, "a"));
    }
}
