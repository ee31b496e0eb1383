package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.common.Rate;
import dev.nest.config.NestConfig;
import dev.nest.function.DegradeSpec;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.InvocationAuth;
import dev.nest.function.LimitsSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.limits.Admission;
import dev.nest.limits.BreakerState;
import dev.nest.limits.Caller;
import dev.nest.limits.GatewayCount;
import dev.nest.limits.RateLimited;
import dev.nest.namespace.NamespaceRate;
import dev.nest.store.InvocationRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rate limits and circuit breakers as a client of the gateway sees them. */
class GatewayAdmissionTest {
    private static final FunctionId LIMITED = FunctionId.of("shop", "limited");
    private static final FunctionId FRAGILE = FunctionId.of("shop", "fragile");
    private static final FunctionId SPARE = FunctionId.of("shop", "spare");
    private static final FunctionId GUARDED = FunctionId.of("shop", "guarded");
    private static final FunctionId SECRET = FunctionId.of("shop", "secret");

    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private final FakeInstanceLeases leases = new FakeInstanceLeases();
    private final BlockingQueue<InvocationRecord> records = new LinkedBlockingQueue<>();
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private static final FunctionId METERED_A = FunctionId.of("metered", "a");
    private static final FunctionId METERED_B = FunctionId.of("metered", "b");

    /** The namespaces' settings as the gateway's admission reads them (the store's in-memory mirror in a server). */
    private final Map<String, NamespaceRate> namespaceRates = new java.util.concurrent.ConcurrentHashMap<>(Map.of(
            "metered", new NamespaceRate(Rate.parse("6/m"), 2)));
    private final Admission admission = new Admission(ns -> Optional.ofNullable(namespaceRates.get(ns)), GatewayCount.ONE,
            Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), nanos::get);
    private FakeHost host;
    private Gateway gateway;

    @BeforeEach
    void setUp() throws IOException {
        host = new FakeHost();
        deploy(LIMITED, InvocationAuth.PUBLIC, new LimitsSpec(Optional.of(Rate.parse("2/s")), 2), Optional.empty());
        deploy(FRAGILE, InvocationAuth.PUBLIC, LimitsSpec.NONE, Optional.of(breaker(new DegradeSpec.FixedResponse(200,
                Map.of("content-type", "application/json", "x-cache", "stale"), "{\"items\":[]}"))));
        deploy(SPARE, InvocationAuth.PUBLIC, LimitsSpec.NONE, Optional.empty());
        deploy(GUARDED, InvocationAuth.PUBLIC, LimitsSpec.NONE, Optional.of(breaker(
                new DegradeSpec.FunctionFallback("secret"))));
        deploy(SECRET, InvocationAuth.TOKEN, LimitsSpec.NONE, Optional.empty());
        deploy(METERED_A, InvocationAuth.PUBLIC, LimitsSpec.NONE, Optional.empty());
        deploy(METERED_B, InvocationAuth.PUBLIC, LimitsSpec.NONE, Optional.empty());
        leases.serveAtOnce("i-1", host.port());
        InvokeAuth auth = InvokeAuth.identifying((authorization, namespace) -> {
            if (authorization.equals(Optional.of("Bearer ci"))) {
                return new Caller("ci", Optional.of(Rate.parse("1/s")));
            }
            throw new NestException(401, "unauthorized", "send a token");
        });
        gateway = new Gateway(catalog, leases, r -> {
            records.add(r);
            admission.record(r);
        }, 1024, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), PeerRoutes.LOCAL_ONLY, auth, Optional.empty(),
                NestConfig.Gateway.DEFAULTS, admission, Optional.empty());
        gateway.start("127.0.0.1", 0, 1, 1);
    }

    @AfterEach
    void tearDown() throws IOException {
        gateway.close();
        host.close();
    }

    private static DegradeSpec breaker(DegradeSpec.Fallback fallback) {
        return new DegradeSpec(OptionalInt.of(50), Optional.empty(), 99, Duration.ofSeconds(10), 2,
                Duration.ofSeconds(30), 1, Optional.of(fallback));
    }

    private void deploy(FunctionId id, InvocationAuth a, LimitsSpec limits, Optional<DegradeSpec> degrade) {
        FunctionSpec spec = new FunctionSpec(id, "fake", "", 128, Duration.ofSeconds(5), 1, Map.of(),
                new ScalingSpec(0, 1, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)), a)
                .withProtection(limits, degrade);
        catalog.put(FunctionRecord.empty(id, "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", Instant.EPOCH, true));
    }

    private RawClient.Response call(String target, String... headers) throws IOException {
        try (RawClient c = new RawClient(gateway.port())) {
            return c.request("GET", target, "", headers).read();
        }
    }

    @Test
    void overItsRateAFunctionAnswers429WithRetryAfterInTheHeaderAndTheBody() throws Exception {
        assertEquals(200, call("/ns/shop/fn/limited").status());
        assertEquals(200, call("/ns/shop/fn/limited").status());
        RawClient.Response r = call("/ns/shop/fn/limited");
        assertEquals(429, r.status());
        assertEquals(Optional.of("1"), r.header("retry-after"));
        JsonNode body = Json.tree(r.body(), "error");
        assertEquals("rate limited", body.path("error").asText());
        assertEquals(1, body.path("retryAfterSeconds").asInt());
        assertEquals(r.header("x-nest-invocation-id").orElseThrow(), body.path("invocationId").asText());
        assertEquals(2, leases.acquired.get(), "the refused call took no instance");
        InvocationRecord last = null;
        for (int i = 0; i < 3; i++) {
            last = records.poll(5, TimeUnit.SECONDS);
        }
        assertEquals(429, last.status(), "the refusal is recorded");
        nanos.addAndGet(500_000_000L);
        assertEquals(200, call("/ns/shop/fn/limited").status(), "a token came back");
    }

    @Test
    void overItsNamespacesRateEveryFunctionOfItAnswers429WithRetryAfter() throws Exception {
        assertEquals(200, call("/ns/metered/fn/a").status());
        assertEquals(200, call("/ns/metered/fn/b").status(), "the namespace's burst is 2, shared by its functions");
        RawClient.Response r = call("/ns/metered/fn/a");
        assertEquals(429, r.status());
        assertEquals(Optional.of("10"), r.header("retry-after"), "6/m: a token every 10 s");
        JsonNode body = Json.tree(r.body(), "error");
        assertEquals("rate limited", body.path("error").asText());
        assertEquals(10, body.path("retryAfterSeconds").asInt());
        assertTrue(body.path("detail").asText().contains("namespace metered is limited to 6/m (burst 2"),
                body.path("detail").asText());
        assertEquals(429, call("/ns/metered/fn/b").status());
        assertEquals(200, call("/ns/shop/fn/spare").status(), "another namespace is not limited");
        assertEquals(List.of(new RateLimited("metered/a", "namespace", 1), new RateLimited("metered/b", "namespace", 1)),
                admission.rateLimited());
        nanos.addAndGet(10_000_000_000L);
        assertEquals(200, call("/ns/metered/fn/b").status(), "a token came back after 10 s");
        namespaceRates.remove("metered");
        assertEquals(200, call("/ns/metered/fn/b").status(), "a cleared limit applies at once");
    }

    @Test
    void anOpenBreakerServesTheFixedFallbackMarkedAsDegraded() throws Exception {
        host.handler = FakeHost.answer(500, "broken");
        assertEquals(500, call("/ns/shop/fn/fragile").status());
        assertEquals(500, call("/ns/shop/fn/fragile").status());
        records.poll(5, TimeUnit.SECONDS);
        records.poll(5, TimeUnit.SECONDS);
        awaitOpen(FRAGILE);
        RawClient.Response r = call("/ns/shop/fn/fragile");
        assertEquals(200, r.status());
        assertEquals("{\"items\":[]}", new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(Optional.of("stale"), r.header("x-cache"));
        assertEquals(Optional.of("application/json"), r.header("content-type"));
        assertEquals(Optional.of("fallback"), r.header(Admission.DEGRADED_HEADER));
        assertFalse(r.header("x-nest-invocation-id").isEmpty());
        assertEquals(2, leases.acquired.get(), "the fallback took no instance");
    }

    @Test
    void aFallbackFunctionThatTakesTokensAsksTheCallerForOne() throws Exception {
        host.handler = FakeHost.answer(502, "down");
        call("/ns/shop/fn/guarded");
        call("/ns/shop/fn/guarded");
        awaitOpen(GUARDED);
        host.handler = FakeHost.answer(200, "from the spare");
        assertEquals(401, call("/ns/shop/fn/guarded").status(), "a public function's breaker opens no way around auth");
        RawClient.Response r = call("/ns/shop/fn/guarded", "authorization: Bearer ci");
        assertEquals(200, r.status());
        assertEquals("from the spare", new String(r.body(), StandardCharsets.UTF_8));
        assertTrue(host.take().target().startsWith("/invoke/"));
        RawClient.Response limited = call("/ns/shop/fn/guarded", "authorization: Bearer ci");
        assertEquals(429, limited.status(), "the token's own rate (1/s) applies to the fallback too");
        assertTrue(Json.tree(limited.body(), "error").path("detail").asText().contains("token ci"));
    }

    private void awaitOpen(FunctionId id) throws InterruptedException {
        long until = System.nanoTime() + 5_000_000_000L;
        while (admission.degrade(id).map(s -> s.state() != BreakerState.OPEN).orElse(true)) {
            if (System.nanoTime() > until) {
                throw new AssertionError("the breaker of " + id + " did not open: " + admission.degrade(id));
            }
            Thread.onSpinWait();
        }
    }
}
