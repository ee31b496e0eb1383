package dev.nest.gateway;

import dev.nest.config.NestConfig;

import static dev.nest.gateway.FakeInstanceLeases.take;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.auth.PeerCredential;
import dev.nest.common.Json;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.sidecar.InvokeException;
import dev.nest.store.InvocationRecord;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The gateway on a loopback port, driven through raw client connections, with fake instance leases whose
 * runtime host is a {@link FakeHost}, a fake admin server and an in-memory catalog.
 */
class GatewayTest {
    private static final FunctionId ECHO = FunctionId.of("default", "echo");
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
    private static final long MAX_BODY = 1024;
    private static final String SECRET = "cluster-secret-1";
    private static final PeerCredential CREDENTIAL = PeerCredential.of("X-Nest-Cluster-Auth", SECRET, SECRET::equals);

    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private final FakeInstanceLeases leases = new FakeInstanceLeases();
    private final BlockingQueue<InvocationRecord> records = new LinkedBlockingQueue<>();
    private FakeHost host;
    private FakeHost admin;
    private Gateway gateway;

    @BeforeEach
    void setUp() throws IOException {
        host = new FakeHost();
        admin = new FakeHost();
        deploy(ECHO, Duration.ofSeconds(5));
        leases.serveAtOnce("echo-1", host.port());
        gateway = start(PeerRoutes.LOCAL_ONLY);
    }

    @AfterEach
    void tearDown() throws IOException {
        gateway.close();
        host.close();
        admin.close();
    }

    private Gateway start(PeerRoutes routes) throws IOException {
        return start(routes, admin.port());
    }

    private Gateway start(PeerRoutes routes, int adminPort) throws IOException {
        Gateway g = new Gateway(catalog, leases, records::add, MAX_BODY, Clock.fixed(NOW, ZoneOffset.UTC), routes,
                InvokeAuth.UNAVAILABLE, Optional.empty(), NestConfig.Gateway.DEFAULTS, dev.nest.limits.Admission.local(Clock.systemUTC()), Optional.of(CREDENTIAL));
        g.start("127.0.0.1", 0, adminPort, 1);
        return g;
    }

    /** A loopback port nothing listens on (it was free a moment ago). */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private FunctionVersion deploy(FunctionId id, Duration timeout) {
        FunctionSpec spec = new FunctionSpec(id, "fake", "", 128, timeout, 1, Map.of(),
                new ScalingSpec(0, 1, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)));
        FunctionRecord r = FunctionRecord.empty(id, "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", Instant.EPOCH, true);
        catalog.put(r);
        return r.liveVersion().orElseThrow();
    }

    private RawClient client() throws IOException {
        return new RawClient(gateway.port());
    }

    private InvocationRecord record() throws InterruptedException {
        return take(records, "no invocation was recorded");
    }

    private static String error(RawClient.Response r) {
        return Json.tree(r.body(), "error").path("error").asText();
    }

    private static String detail(RawClient.Response r) {
        return Json.tree(r.body(), "error").path("detail").asText();
    }

    @Test
    void aValidTraceparentIsContinuedToTheHostAndRecorded() throws Exception {
        host.handler = FakeHost.answer(200, "ok");
        try (RawClient c = client()) {
            c.request("GET", "/fn/echo", "", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                    "tracestate: v=1").read();
            FakeHost.Request sent = host.take();
            String tp = sent.headers().get("traceparent");
            assertTrue(tp.matches("00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01"), tp);
            assertFalse(tp.contains("b7ad6b7169203331"), "the host's parent is the gateway's span");
            assertEquals("v=1", sent.headers().get("tracestate"));
            assertEquals("0af7651916cd43dd8448eb211c80319c", record().traceId());
        }
    }

    @Test
    void eachServedInvocationIsASpanWhoseIdIsTheParentTheHostSaw() throws Exception {
        host.handler = FakeHost.answer(200, "ok");
        java.util.concurrent.BlockingQueue<InvocationSpan> spans = new java.util.concurrent.LinkedBlockingQueue<>();
        gateway.spans(spans::add);
        try (RawClient c = client()) {
            c.request("GET", "/fn/echo", "", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").read();
            String tp = host.take().headers().get("traceparent");
            InvocationSpan s = take(spans, "no span");
            assertEquals(tp, s.trace().header(), "the span is the host's parent");
            assertEquals(Optional.of("b7ad6b7169203331"), s.parentSpanId());
            assertEquals("http", s.trigger());
            assertEquals(record().id(), s.record().id());
            c.request("GET", "/fn/echo", "").read();
            String started = host.take().headers().get("traceparent");
            InvocationSpan root = take(spans, "no span");
            assertEquals(started, root.trace().header());
            assertEquals(Optional.empty(), root.parentSpanId(), "a trace the gateway started has no parent span");
        }
    }

    @Test
    void aMissingOrMalformedTraceparentStartsANewTraceAndIsNeverPassedOn() throws Exception {
        host.handler = FakeHost.answer(200, "ok");
        for (String[] extra : List.of(new String[0],
                new String[] {"traceparent: 00-00000000000000000000000000000000-b7ad6b7169203331-01", "tracestate: v=1"},
                new String[] {"traceparent: 00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"})) {
            try (RawClient c = client()) {
                c.request("GET", "/fn/echo", "", extra).read();
                FakeHost.Request sent = host.take();
                String tp = sent.headers().get("traceparent");
                assertTrue(dev.nest.common.TraceContext.parse(tp).isPresent(), tp);
                assertEquals(null, sent.headers().get("tracestate"), "a broken trace's state is dropped");
                String trace = record().traceId();
                assertEquals(tp.substring(3, 35), trace);
                assertFalse(trace.equals("0".repeat(32)) || trace.equals("0af7651916cd43dd8448eb211c80319c"), trace);
            }
        }
    }

    @Test
    void forwardsAWarmInvocationAndCopiesTheAnswerBack() throws Exception {
        host.handler = FakeHost.answer(201, "hello", "x-custom", "a", "x-nest-internal", "dropped");
        try (RawClient c = client()) {
            long t0 = System.nanoTime();
            RawClient.Response r = c.request("POST", "/fn/echo/a/b?x=1", "ping", "x-caller: me").read();
            FakeHost.Request sent = host.take();
            long waitedAtMostMs = (System.nanoTime() - t0) / 1_000_000 + 1;

            assertEquals(201, r.status());
            assertEquals("hello", r.bodyText());
            assertEquals(Optional.of("a"), r.header("x-custom"));
            assertEquals(Optional.empty(), r.header("x-nest-internal"), "the host's x-nest-* headers stay inside");
            assertEquals(Optional.empty(), r.header("x-nest-cold"));
            String id = r.header("x-nest-invocation-id").orElseThrow();
            assertEquals(id, sent.headers().get("x-nest-invocation-id"));

            assertEquals("POST", sent.method());
            assertEquals("/invoke/echo-1/a/b?x=1", sent.target());
            assertEquals("me", sent.headers().get("x-caller"));
            assertEquals("s3cret", sent.headers().get("x-nest-secret"));
            // the whole 5 s timeout from when the request left: the fixed clock plus the (real) time it waited here
            long deadline = Long.parseLong(sent.headers().get("x-nest-deadline"));
            assertTrue(deadline >= NOW.toEpochMilli() + 5000 && deadline <= NOW.toEpochMilli() + 5000 + waitedAtMostMs,
                    deadline + " is not within " + waitedAtMostMs + " ms after " + (NOW.toEpochMilli() + 5000));
            assertEquals("ping", sent.bodyText());

            assertEquals("echo-1", take(leases.released, "the lease was not released").instance().id());
            InvocationRecord rec = record();
            assertEquals(id, rec.id());
            assertEquals("default/echo", rec.function());
            assertEquals(201, rec.status());
            assertEquals("echo-1", rec.instance());
            assertEquals(NOW, rec.startedAt());
            assertFalse(rec.cold());
            assertEquals("", rec.error());
            assertTrue(rec.phases().containsKey("exec"));
        }
    }

    @Test
    void recordsTheErrorTheHostReports() throws Exception {
        host.handler = FakeHost.answer(500, "{\"error\":\"bad input\",\"detail\":\"boom\"}", "x-nest-error", "handler");
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/echo", "").read();
            assertEquals(500, r.status());
            assertEquals(Optional.empty(), r.header("x-nest-error"));
            assertEquals("/invoke/echo-1/", host.take().target());
            assertEquals("handler: boom", record().error());
        }
    }

    @Test
    void answers404ForAnUnknownFunction() throws Exception {
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/ns/other/fn/missing/x", "").read();
            assertEquals(404, r.status());
            assertEquals("function not found", error(r));
            assertTrue(detail(r).contains("other/missing"), detail(r));
            assertTrue(r.header("x-nest-invocation-id").isPresent());
            assertEquals(Optional.of("application/json"), r.header("content-type"));
            assertEquals(0, leases.acquired.get());
        }
    }

    @Test
    void answers404ForAFunctionWithoutALiveVersion() throws Exception {
        catalog.put(FunctionRecord.empty(FunctionId.of("default", "empty"), "api", Instant.EPOCH));
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/empty", "").read();
            assertEquals(404, r.status());
            assertEquals("function not deployed", error(r));
            assertEquals(0, leases.acquired.get());
        }
    }

    @Test
    void waitsInTheQueueThenForwardsToTheInstanceHandedOver() throws Exception {
        leases.makeWait(TimeUnit.SECONDS.toNanos(FakeHost.BOUND_S));
        try (RawClient c = client()) {
            c.request("GET", "/fn/echo", "");
            var pending = leases.nextWaiting();
            FunctionVersion v = catalog.get(ECHO).orElseThrow().liveVersion().orElseThrow();
            pending.complete(leases.lease(v, "echo-cold", host.port(), true, Map.of("pod", 12.0)));

            RawClient.Response r = c.read();
            assertEquals(200, r.status());
            assertEquals(Optional.of("true"), r.header("x-nest-cold"));
            assertEquals("/invoke/echo-cold/", host.take().target());
            InvocationRecord rec = record();
            assertTrue(rec.cold());
            assertEquals(List.of("queue", "pod", "exec"), List.copyOf(rec.phases().keySet()));
            assertTrue(leases.cancelled.isEmpty());
        }
    }

    @Test
    void stopsWaitingAtTheWaitDeadlineWithTheLeasesError() throws Exception {
        leases.makeWait(TimeUnit.MILLISECONDS.toNanos(20));
        leases.onCancel(p -> Optional.of(new InvokeException(503, "no instance available", "none became free")));
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/echo", "").read();
            assertEquals(503, r.status());
            assertEquals("no instance available", error(r));
            assertEquals("none became free", detail(r));
            assertEquals(1, leases.cancelled.size());
            assertEquals(503, record().status());
            assertTrue(host.requests.isEmpty());
        }
    }

    @Test
    void usesTheInstanceHandedOverAtTheMomentOfCancelling() throws Exception {
        leases.makeWait(TimeUnit.MILLISECONDS.toNanos(20));
        FunctionVersion v = catalog.get(ECHO).orElseThrow().liveVersion().orElseThrow();
        leases.onCancel(p -> {
            p.later().complete(leases.lease(v, "echo-late", host.port(), false, Map.of()));
            return Optional.empty();
        });
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/echo", "").read();
            assertEquals(200, r.status());
            assertEquals("/invoke/echo-late/", host.take().target());
        }
    }

    @Test
    void answersWithTheErrorOfAFailedStart() throws Exception {
        leases.makeWait(TimeUnit.SECONDS.toNanos(FakeHost.BOUND_S));
        try (RawClient c = client()) {
            c.request("GET", "/fn/echo", "");
            leases.nextWaiting().completeExceptionally(new InvokeException(502, "instance start failed", "no image"));
            RawClient.Response r = c.read();
            assertEquals(502, r.status());
            assertEquals("no image", detail(r));
        }
    }

    @ParameterizedTest
    @CsvSource({"429, too many requests, 7, 7", "503, node shutting down, 1, 1", "503, node at capacity, 0, 1",
            "429, too many requests, 600, 60"})
    void answersWhatTheLeasesRefuseWith(int status, String error, int hint, int retryAfter) throws Exception {
        InvokeException e = new InvokeException(status, error, "the fake refused");
        leases.refuse(hint > 0 ? e.withRetryAfter(hint) : e);
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/echo", "").read();
            assertEquals(status, r.status());
            assertEquals(error, error(r));
            assertEquals("the fake refused", detail(r));
            assertEquals(r.header("x-nest-invocation-id").orElseThrow(), Json.tree(r.body(), "error").path("invocationId").asText());
            assertRetryAfter(r, retryAfter);
            assertEquals(status, record().status());
        }
    }

    /** {@code Retry-After} is there and equals {@code retryAfterSeconds} in the body. */
    private static void assertRetryAfter(RawClient.Response r, int seconds) {
        assertEquals(Optional.of(String.valueOf(seconds)), r.header("retry-after"));
        assertEquals(seconds, Json.tree(r.body(), "error").path("retryAfterSeconds").asInt(-1));
    }

    @Test
    void aWaitThatRunsOutIs503WithRetryAfter() throws Exception {
        leases.makeWait(TimeUnit.MILLISECONDS.toNanos(20));
        leases.onCancel(p -> Optional.of(new InvokeException(503, "no instance available", "none").withRetryAfter(4)));
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/echo", "").read();
            assertEquals(503, r.status());
            assertRetryAfter(r, 4);
        }
    }

    @Test
    void aStartRefusedForCapacityIs503WithRetryAfter() throws Exception {
        leases.makeWait(TimeUnit.SECONDS.toNanos(FakeHost.BOUND_S));
        try (RawClient c = client()) {
            c.request("GET", "/fn/echo", "");
            leases.nextWaiting().completeExceptionally(new InvokeException(503, "node at capacity", "full"));
            RawClient.Response r = c.read();
            assertEquals(503, r.status());
            assertRetryAfter(r, Call.DEFAULT_RETRY_AFTER);
        }
    }

    @Test
    void aHostDyingMidPostIs502AndThePostIsNotSentAgain() throws Exception {
        host.handler = (request, out) -> false; // took the request, then died without an answer
        try (RawClient c = client()) {
            RawClient.Response r = c.request("POST", "/fn/echo", "charge the card").read();
            assertEquals(502, r.status());
            assertEquals("instance failed", error(r));
            String id = r.header("x-nest-invocation-id").orElseThrow();
            assertEquals(id, Json.tree(r.body(), "error").path("invocationId").asText());
            assertEquals("charge the card", host.take().bodyText());
            assertTrue(host.requests.isEmpty(), "the POST reached the host once");
            assertEquals(1, leases.acquired.get());
            take(leases.recycled, "the instance was not recycled");
        }
    }

    @Test
    void anIdempotentRequestIsSentToAnotherInstanceOnceWhenTheHostDies() throws Exception {
        host.handler = (request, out) -> {
            if (request.connection() == 1) {
                return false;
            }
            FakeHost.write(out, 200, "second", false);
            return true;
        };
        try (RawClient c = client()) {
            RawClient.Response r = c.request("PUT", "/fn/echo", "x").read();
            assertEquals(200, r.status());
            assertEquals("second", r.bodyText());
            assertEquals(2, leases.acquired.get());
            take(leases.recycled, "the failed instance was not recycled");
        }
    }

    @Test
    void aRequestReachesTheInstanceWithItsWholeTimeoutAfterWaiting() throws Exception {
        leases.makeWait(TimeUnit.SECONDS.toNanos(FakeHost.BOUND_S));
        try (RawClient c = client()) {
            c.request("GET", "/fn/echo", "");
            var pending = leases.nextWaiting();
            FunctionVersion v = catalog.get(ECHO).orElseThrow().liveVersion().orElseThrow();
            pending.complete(leases.lease(v, "echo-cold", host.port(), true, Map.of()));
            assertEquals(200, c.read().status());
            long deadline = Long.parseLong(host.take().headers().get("x-nest-deadline"));
            assertTrue(deadline >= NOW.toEpochMilli() + 5000, "the wait is not taken from the timeout: " + deadline);
        }
    }

    @Test
    void theHostsOwn504KeepsTheInstance() throws Exception {
        host.handler = FakeHost.answer(504, "{\"error\":\"function timed out\"}", "x-nest-error", "timeout");
        try (RawClient c = client()) {
            assertEquals(504, c.request("GET", "/fn/echo", "").read().status());
            assertEquals("echo-1", take(leases.released, "the lease was not released").instance().id());
            assertTrue(leases.recycled.isEmpty());
        }
    }

    @Test
    void anInstanceItsHostReportsUnhealthyIsRetiredNotRecycled() throws Exception {
        host.handler = FakeHost.answer(504, "{\"error\":\"function timed out\"}", "x-nest-error", "timeout",
                "x-nest-instance-health", "unhealthy");
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/echo", "").read();
            assertEquals(504, r.status());
            assertTrue(r.header("x-nest-instance-health").isEmpty(), "the host's report stays inside");
            assertEquals("echo-1", take(leases.retired, "the instance was not retired").instance().id());
            assertTrue(leases.recycled.isEmpty());
            assertTrue(leases.released.isEmpty());
        }
    }

    @Test
    void passesTheClientsHostAndReplacesUntrustedForwardingHeaders() throws Exception {
        try (RawClient c = client()) {
            assertEquals(200, c.request("GET", "/fn/echo", "", "x-forwarded-for: 6.6.6.6", "forwarded: for=6.6.6.6",
                    "x-forwarded-proto: https").read().status());
            Map<String, String> h = host.take().headers();
            assertEquals("gateway", h.get("host"));
            assertEquals("127.0.0.1", h.get("x-forwarded-for"));
            assertEquals("http", h.get("x-forwarded-proto"));
            assertEquals("gateway", h.get("x-forwarded-host"));
            assertEquals("for=127.0.0.1;proto=http;host=\"gateway\"", h.get("forwarded"));
        }
    }

    @Test
    void keepsTheForwardingHeadersOfATrustedProxy() throws Exception {
        gateway.close();
        gateway = new Gateway(catalog, leases, records::add, MAX_BODY, Clock.fixed(NOW, ZoneOffset.UTC),
                PeerRoutes.LOCAL_ONLY, InvokeAuth.UNAVAILABLE, Optional.empty(), new NestConfig.Gateway(java.time.Duration.ofSeconds(10),
                java.time.Duration.ofMinutes(1), java.time.Duration.ofSeconds(10), 1024, 0, List.of("127.0.0.0/8")));
        gateway.start("127.0.0.1", 0, admin.port(), 1);
        try (RawClient c = client()) {
            assertEquals(200, c.request("GET", "/fn/echo", "", "x-forwarded-for: 203.0.113.9", "x-forwarded-proto: https",
                    "x-forwarded-host: example.com").read().status());
            Map<String, String> h = host.take().headers();
            assertEquals("203.0.113.9, 127.0.0.1", h.get("x-forwarded-for"));
            assertEquals("https", h.get("x-forwarded-proto"));
            assertEquals("example.com", h.get("x-forwarded-host"));
        }
    }

    @Test
    void answers504AndRecyclesTheInstanceAtTheFunctionsTimeout() throws Exception {
        deploy(ECHO, Duration.ofMillis(100));
        host.handler = host.hang();
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/echo", "").read();
            assertEquals(504, r.status());
            assertEquals("function timed out", error(r));
            assertEquals("echo-1", take(leases.recycled, "the instance was not recycled").instance().id());
            assertTrue(leases.released.isEmpty());
            InvocationRecord rec = record();
            assertEquals(504, rec.status());
            assertTrue(rec.error().startsWith("timeout: "), rec.error());
        }
    }

    @Test
    void stopAnswers409AtOnceAndStopsTheInstanceDrainingNotRecycled() throws Exception {
        host.handler = host.hang();
        try (RawClient c = client()) {
            c.request("POST", "/fn/echo", "work");
            String id = host.take().headers().get("x-nest-invocation-id");
            assertFalse(gateway.stop("no-such-invocation", "test").get(5, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(gateway.stop(id, "replaced by a newer cron tick").get(5, java.util.concurrent.TimeUnit.SECONDS));
            RawClient.Response r = c.read();
            assertEquals(409, r.status());
            assertEquals("invocation stopped", error(r));
            assertEquals(id, r.header("x-nest-invocation-id").orElseThrow());
            dev.nest.sidecar.Lease stopped = take(leases.stopped, "the instance was not stopped");
            assertEquals("echo-1", stopped.instance().id());
            assertTrue(leases.recycled.isEmpty(), "the instance drains (Lease#stop), it is not killed under its neighbours");
            assertTrue(leases.released.isEmpty(), "a stopped invocation's lease is stopped, not released");
            InvocationRecord rec = record();
            assertEquals(409, rec.status());
            assertEquals(id, rec.id());
            assertTrue(rec.error().contains("replaced by a newer cron tick"), rec.error());
            // stopped once: a second stop finds nothing, and the client's connection serves the next request
            assertFalse(gateway.stop(id, "again").get(5, java.util.concurrent.TimeUnit.SECONDS));
            host.handler = FakeHost.answer(200, "next");
            assertEquals("next", c.request("GET", "/fn/echo", "").read().bodyText());
            assertTrue(leases.stopped.isEmpty(), "stopped once");
        }
    }

    @Test
    void aNeighbourOfAStoppedInvocationOnTheSameInstanceGetsIts200() throws Exception {
        java.util.concurrent.CountDownLatch neighbourMayAnswer = new java.util.concurrent.CountDownLatch(1);
        FakeHost.Handler hang = host.hang();
        host.handler = (request, out) -> {
            if (new String(request.body(), java.nio.charset.StandardCharsets.UTF_8).equals("neighbour")) {
                try {
                    neighbourMayAnswer.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                FakeHost.write(out, 200, "neighbour done", false);
                return true;
            }
            return hang.handle(request, out);
        };
        try (RawClient stoppedClient = client(); RawClient neighbour = client()) {
            stoppedClient.request("POST", "/fn/echo", "stop me");
            String id = host.take().headers().get("x-nest-invocation-id");
            neighbour.request("POST", "/fn/echo", "neighbour");
            host.take(); // both are at the instance (concurrency 2 in effect: the fake leases share echo-1)
            assertTrue(gateway.stop(id, "replaced").get(5, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(409, stoppedClient.read().status());
            take(leases.stopped, "the instance was not stopped");
            neighbourMayAnswer.countDown();
            RawClient.Response r = neighbour.read();
            assertEquals(200, r.status());
            assertEquals("neighbour done", r.bodyText());
            assertEquals("echo-1", take(leases.released, "the neighbour's lease was not released").instance().id());
            assertTrue(leases.recycled.isEmpty(), "nothing was killed");
        }
    }

    @Test
    void stopWithdrawsAnInvocationThatWaitsForAnInstanceWithoutKillingAnything() throws Exception {
        leases.makeWait(java.util.concurrent.TimeUnit.SECONDS.toNanos(30));
        try (RawClient c = client()) {
            c.request("POST", "/fn/echo", "work");
            java.util.concurrent.CompletableFuture<dev.nest.sidecar.Lease> waiting = leases.nextWaiting();
            InvocationRecord none = records.poll();
            assertEquals(null, none, "nothing recorded while it waits");
            String id = gateway.stoppable().iterator().next();
            assertEquals(1, gateway.stoppable().size());
            assertTrue(gateway.stop(id, "replaced").get(5, java.util.concurrent.TimeUnit.SECONDS));
            RawClient.Response r = c.read();
            assertEquals(409, r.status());
            assertEquals("invocation stopped", error(r));
            take(leases.cancelled, "its wait was not cancelled");
            assertEquals(409, record().status());
            // an instance handed over at that moment goes back unused
            dev.nest.sidecar.Lease late = leases.lease(catalog.get(ECHO).orElseThrow().liveVersion().orElseThrow(),
                    "echo-2", host.port(), false, Map.of());
            waiting.complete(late);
            assertEquals("echo-2", take(leases.released, "the late lease was not given back").instance().id());
            assertTrue(leases.recycled.isEmpty() && leases.stopped.isEmpty(), "nothing was killed");
            assertFalse(gateway.stop(id, "again").get(5, java.util.concurrent.TimeUnit.SECONDS), "idempotent");
        }
    }

    @Test
    void answers502AndRecyclesTheInstanceWhenTheHostClosesMidResponse() throws Exception {
        host.handler = (request, out) -> {
            out.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly a part".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return false;
        };
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/echo", "").read();
            assertEquals(502, r.status());
            assertEquals("instance failed", error(r));
            take(leases.recycled, "the instance was not recycled");
            assertEquals(502, record().status());
            // the client's connection stays usable
            host.handler = FakeHost.answer(200, "again");
            assertEquals("again", c.request("GET", "/fn/echo", "").read().bodyText());
        }
    }

    @Test
    void forwardsAChunkedRequestBodyWithItsLength() throws Exception {
        try (RawClient c = client()) {
            c.send("POST /fn/echo HTTP/1.1\r\nhost: g\r\ntransfer-encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n");
            assertEquals(200, c.read().status());
            FakeHost.Request sent = host.take();
            assertEquals("Wikipedia", sent.bodyText());
            assertEquals("9", sent.headers().get("content-length"));
            assertNull(sent.headers().get("transfer-encoding"));
        }
    }

    @Test
    void answers413AboveTheBodyLimitAndCloses() throws Exception {
        try (RawClient c = client()) {
            c.send("POST /fn/echo HTTP/1.1\r\nhost: g\r\ncontent-length: " + (MAX_BODY + 1) + "\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(413, r.status());
            assertEquals("request body too large", error(r));
            assertEquals(Optional.of("close"), r.header("connection"));
            assertTrue(c.closedByServer());
        }
        try (RawClient c = client()) {
            String chunk = Integer.toHexString((int) MAX_BODY + 1);
            // refused as soon as the data crosses the limit
            c.send("POST /fn/echo HTTP/1.1\r\nhost: g\r\ntransfer-encoding: chunked\r\n\r\n" + chunk + "\r\n"
                    + "a".repeat((int) MAX_BODY + 1));
            assertEquals(413, c.read().status());
        }
        assertTrue(host.requests.isEmpty());
        assertEquals(0, leases.acquired.get());
    }

    @Test
    void servesSeveralRequestsOnOneConnectionOverOnePooledHostConnection() throws Exception {
        try (RawClient c = client()) {
            for (int i = 0; i < 3; i++) {
                RawClient.Response r = c.request("POST", "/fn/echo/" + i, "body-" + i).read();
                assertEquals(200, r.status());
                assertEquals(Optional.empty(), r.header("connection"));
                assertEquals("/invoke/echo-1/" + i, host.take().target());
            }
            // two pipelined requests in one write
            c.send("GET /fn/echo/p1 HTTP/1.1\r\nhost: g\r\n\r\nGET /fn/echo/p2 HTTP/1.1\r\nhost: g\r\n\r\n");
            assertEquals(200, c.read().status());
            assertEquals(200, c.read().status());
            assertEquals("/invoke/echo-1/p1", host.take().target());
            assertEquals("/invoke/echo-1/p2", host.take().target());
        }
        assertEquals(1, host.connections.get());
        assertEquals(5, leases.released.size());
    }

    @Test
    void closesAfterAnswerWhenTheClientAsksForIt() throws Exception {
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/echo", "", "connection: close").read();
            assertEquals(200, r.status());
            assertEquals(Optional.of("close"), r.header("connection"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void answersHeadWithoutABody() throws Exception {
        host.handler = FakeHost.answer(200, "12345", "x-custom", "h");
        try (RawClient c = client()) {
            RawClient.Response r = c.request("HEAD", "/fn/echo", "").read(true);
            assertEquals(200, r.status());
            assertEquals(Optional.of("h"), r.header("x-custom"));
            assertEquals("HEAD", host.take().method());
            // the connection is still in step: the next answer is read whole
            RawClient.Response next = c.request("GET", "/fn/echo", "").read();
            assertEquals("12345", next.bodyText());
        }
    }

    @Test
    void anEventStreamFromTheAdminServerReachesTheClientAsItComes() throws Exception {
        java.util.concurrent.CountDownLatch firstSeen = new java.util.concurrent.CountDownLatch(1);
        admin.handler = (request, out) -> {
            out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
                    + "transfer-encoding: chunked\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            String first = "id: 1\ndata: {\"line\":\"one\"}\n\n";
            out.write((Integer.toHexString(first.length()) + "\r\n" + first + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                if (!firstSeen.await(FakeHost.BOUND_S, java.util.concurrent.TimeUnit.SECONDS)) {
                    return false; // the client never saw the first event: the stream ends short and the test fails
                }
            } catch (InterruptedException e) {
                return false;
            }
            String second = ": keep-alive\n\n";
            out.write((Integer.toHexString(second.length()) + "\r\n" + second + "\r\n0\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            return false;
        };
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", gateway.port())) {
            s.setSoTimeout((int) FakeHost.BOUND_S * 1000);
            s.getOutputStream().write(("GET /api/v1/logs?function=f&follow=true HTTP/1.1\r\nhost: x\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                    StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            for (String line; (line = in.readLine()) != null; ) {
                seen.append(line).append('\n');
                if (line.equals("data: {\"line\":\"one\"}")) {
                    firstSeen.countDown(); // while the upstream still holds the rest back
                }
            }
            String text = seen.toString();
            assertTrue(text.startsWith("HTTP/1.1 200"), text);
            assertTrue(text.toLowerCase().contains("content-type: text/event-stream"), text);
            assertTrue(text.toLowerCase().contains("transfer-encoding: chunked"), text);
            assertEquals(0, firstSeen.getCount(), "the first event arrived before the stream ended: " + text);
            assertTrue(text.contains(": keep-alive"), text);
        }
    }

    @Test
    void passesOtherPathsToTheAdminServer() throws Exception {
        admin.handler = FakeHost.answer(202, "{\"ok\":true}", "content-type", "application/json");
        try (RawClient c = client()) {
            RawClient.Response r = c.request("PUT", "/api/v1/functions/echo?dry=1", "{}", "authorization: Bearer t",
                    "connection: keep-alive").read();
            assertEquals(202, r.status());
            assertEquals("{\"ok\":true}", r.bodyText());
            assertEquals(Optional.of("application/json"), r.header("content-type"));
            assertEquals(Optional.empty(), r.header("x-nest-invocation-id"));
            FakeHost.Request sent = admin.take();
            assertEquals("PUT", sent.method());
            assertEquals("/api/v1/functions/echo?dry=1", sent.target());
            assertEquals("127.0.0.1:" + admin.port(), sent.headers().get("host"));
            assertEquals("Bearer t", sent.headers().get("authorization"));
            assertNull(sent.headers().get("connection"));
            assertEquals("{}", sent.bodyText());
            assertEquals(202, c.request("GET", "/health", "").read().status());
            assertEquals("/health", admin.take().target());
        }
        assertEquals(0, leases.acquired.get());
        assertTrue(records.isEmpty());
    }

    @Test
    void answers502WhenTheAdminServerIsDown() throws Exception {
        gateway.close();
        gateway = start(PeerRoutes.LOCAL_ONLY, closedPort());
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/api/v1/functions", "").read();
            assertEquals(502, r.status());
            assertEquals("admin server unavailable", error(r));
        }
    }

    @Test
    void forwardsToAPeerWhenOnlyAPeerHasReadyInstances() throws Exception {
        try (FakeHost peer = new FakeHost()) {
            peer.handler = FakeHost.answer(200, "from the peer", "x-nest-invocation-id", "inv-b-1", "x-nest-cold", "true",
                    "x-nest-secret", "not for the client");
            gateway.close();
            gateway = start(new FakePeerRoutes(List.of(new PeerRoutes.Peer("node-b", "127.0.0.1", peer.port()))));
            try (RawClient c = client()) {
                RawClient.Response r = c.request("POST", "/fn/echo/x?y=1", "data").read();
                assertEquals(200, r.status());
                assertEquals("from the peer", r.bodyText());
                assertEquals("inv-b-1", r.header("x-nest-invocation-id").orElse(null), "the peer's invocation id reaches the client");
                assertEquals("true", r.header("x-nest-cold").orElse(null));
                assertNull(r.header("x-nest-secret").orElse(null));
                FakeHost.Request sent = peer.take();
                assertEquals("/fn/echo/x?y=1", sent.target());
                assertEquals("node-a", sent.headers().get(PeerRoutes.FORWARDED_BY));
                assertEquals(SECRET, sent.headers().get("x-nest-cluster-auth"), "a forwarded invocation carries the credential");
                assertEquals("data", sent.bodyText());
                assertEquals("gateway", sent.headers().get("host"), "the client's Host goes on to the peer");
                assertEquals("127.0.0.1", sent.headers().get("x-forwarded-for"));
            }
        }
        assertEquals(0, leases.acquired.get());
        assertTrue(records.isEmpty(), "the peer records the invocation");
    }

    @Test
    void servesHereWhenThePeerRefusesTheConnection() throws Exception {
        PeerRoutes.Peer gone = new PeerRoutes.Peer("node-gone", "127.0.0.1", closedPort());
        FakePeerRoutes routes = new FakePeerRoutes(List.of(gone));
        gateway.close();
        gateway = start(routes);
        try (RawClient c = client()) {
            assertEquals(200, c.request("GET", "/fn/echo", "").read().status());
            assertEquals("/invoke/echo-1/", host.take().target());
            assertEquals(gone, take(routes.unreachable, "the peer was not reported"));
        }
    }

    @Test
    void servesAForwardedRequestHereEvenWhenPeersHaveInstances() throws Exception {
        try (FakeHost peer = new FakeHost()) {
            gateway.close();
            gateway = start(new FakePeerRoutes(List.of(new PeerRoutes.Peer("node-b", "127.0.0.1", peer.port()))));
            try (RawClient c = client()) {
                assertEquals(200, c.request("GET", "/fn/echo", "", PeerRoutes.FORWARDED_BY + ": node-c",
                        "X-Nest-Cluster-Auth: " + SECRET).read().status());
                FakeHost.Request sent = host.take();
                assertEquals("/invoke/echo-1/", sent.target());
                assertNull(sent.headers().get("x-nest-cluster-auth"), "the function never sees the credential");
            }
            assertEquals(0, peer.connections.get());
        }
    }

    @ParameterizedTest
    @CsvSource({"''", "X-Nest-Cluster-Auth: wrong", "X-Nest-Cluster-Auth: cluster-secret-", "X-Nest-Cluster-Auth:"})
    void refusesAForwardedInvocationWithoutTheClusterCredential(String credentialHeader) throws Exception {
        try (RawClient c = client()) {
            RawClient.Response r = credentialHeader.isEmpty()
                    ? c.request("POST", "/fn/echo", "x", PeerRoutes.FORWARDED_BY + ": node-c").read()
                    : c.request("POST", "/fn/echo", "x", PeerRoutes.FORWARDED_BY + ": node-c", credentialHeader).read();
            assertEquals(403, r.status());
            assertEquals("peer credential required", error(r));
            assertTrue(r.header("x-nest-invocation-id").isPresent());
            assertFalse(r.bodyText().contains(SECRET), "the refusal never shows the credential");
        }
        assertEquals(0, leases.acquired.get(), "nothing ran");
    }

    @Test
    void aGatewayWithoutACredentialRefusesEveryForwardedInvocation() throws Exception {
        gateway.close();
        gateway = new Gateway(catalog, leases, records::add, MAX_BODY, Clock.fixed(NOW, ZoneOffset.UTC), PeerRoutes.LOCAL_ONLY);
        gateway.start("127.0.0.1", 0, admin.port(), 1);
        try (RawClient c = client()) {
            RawClient.Response r = c.request("GET", "/fn/echo", "", PeerRoutes.FORWARDED_BY + ": node-c",
                    "X-Nest-Cluster-Auth: " + SECRET).read();
            assertEquals(403, r.status());
        }
        assertEquals(0, leases.acquired.get());
    }

    @Test
    void aClientsCredentialHeaderNeverReachesTheFunction() throws Exception {
        try (RawClient c = client()) {
            assertEquals(200, c.request("GET", "/fn/echo", "", "X-Nest-Cluster-Auth: " + SECRET).read().status());
            assertNull(host.take().headers().get("x-nest-cluster-auth"));
        }
    }
}
