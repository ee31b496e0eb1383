package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.InvocationAuth;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.store.InvocationRecord;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Functions whose spec says {@code auth: token}: who gets through the gateway, and what the function then sees. */
class GatewayAuthTest {
    private static final FunctionId OPEN = FunctionId.of("team-a", "open");
    private static final FunctionId CLOSED = FunctionId.of("team-a", "closed");

    private final InMemoryCatalog catalog = new InMemoryCatalog();
    private final FakeInstanceLeases leases = new FakeInstanceLeases();
    private final BlockingQueue<InvocationRecord> records = new LinkedBlockingQueue<>();
    private final FakeInvokeAuth auth = new FakeInvokeAuth(Map.of("Bearer good-a", "team-a", "Bearer good-b", "team-b"));
    private FakeHost host;
    private Gateway gateway;

    /** Tokens as whole header values, each covering one namespace; counts its calls. */
    private record FakeInvokeAuth(Map<String, String> namespaceOf, AtomicInteger calls) implements InvokeAuth {
        FakeInvokeAuth(Map<String, String> namespaceOf) {
            this(namespaceOf, new AtomicInteger());
        }

        @Override
        public void check(Optional<String> authorization, String namespace) {
            calls.incrementAndGet();
            String covered = authorization.map(namespaceOf::get)
                    .orElseThrow(() -> new NestException(401, "unauthorized", "this endpoint needs a token"));
            if (covered == null) {
                throw new NestException(401, "unauthorized", "the token is unknown");
            }
            if (!covered.equals(namespace)) {
                throw new NestException(403, "forbidden", "the token covers " + covered + ", not " + namespace);
            }
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        host = new FakeHost();
        deploy(OPEN, InvocationAuth.PUBLIC);
        deploy(CLOSED, InvocationAuth.TOKEN);
        leases.serveAtOnce("i-1", host.port());
        gateway = start(PeerRoutes.LOCAL_ONLY, auth);
    }

    @AfterEach
    void tearDown() throws IOException {
        gateway.close();
        host.close();
    }

    private Gateway start(PeerRoutes routes, InvokeAuth invokeAuth) throws IOException {
        Gateway g = new Gateway(catalog, leases, records::add, 1024, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), routes,
                invokeAuth);
        g.start("127.0.0.1", 0, 1, 1); // no admin server: these tests call functions only
        return g;
    }

    private void deploy(FunctionId id, InvocationAuth a) {
        FunctionSpec spec = new FunctionSpec(id, "fake", "", 128, Duration.ofSeconds(5), 1, Map.of(),
                new ScalingSpec(0, 1, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)), a);
        catalog.put(FunctionRecord.empty(id, "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", Instant.EPOCH, true));
    }

    private RawClient.Response call(String target, String... headers) throws IOException {
        try (RawClient c = new RawClient(gateway.port())) {
            return c.request("GET", target, "", headers).read();
        }
    }

    @Test
    void aPublicFunctionAsksNothingAndPassesTheAuthorizationHeaderOn() throws Exception {
        RawClient.Response r = call("/ns/team-a/fn/open", "authorization: Basic dXNlcjpwdw==");
        assertEquals(200, r.status());
        assertEquals("Basic dXNlcjpwdw==", host.take().headers().get("authorization"));
        assertEquals(0, auth.calls().get(), "a public function does no token work");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no token               | ''                            | 401",
        "unknown token          | 'authorization: Bearer nope'  | 401",
        "another namespace      | 'authorization: Bearer good-b'| 403"})
    void aTokenFunctionRefusesCallersThatMayNotInvokeIt(String why, String header, int status) throws Exception {
        RawClient.Response r = header.isEmpty() ? call("/ns/team-a/fn/closed") : call("/ns/team-a/fn/closed", header);
        assertEquals(status, r.status(), why);
        assertEquals(status == 401 ? Optional.of("Bearer realm=\"nest\"") : Optional.empty(), r.header("www-authenticate"));
        assertEquals(status == 401 ? "unauthorized" : "forbidden", Json.tree(r.body(), "error").path("error").asText());
        assertEquals(Optional.of("token"), r.header("x-nest-auth"), "the gateway says that the function needs a token");
        assertFalse(r.header("x-nest-invocation-id").isEmpty(), "an error carries the invocation id");
        assertEquals(0, leases.acquired.get(), "no instance is taken for a refused call");
        assertEquals(0, host.connections.get());
    }

    @Test
    void aTokenFunctionServesAnAllowedCallerWithoutShowingItTheToken() throws Exception {
        RawClient.Response r = call("/ns/team-a/fn/closed/x", "Authorization: Bearer good-a", "x-caller: me");
        assertEquals(200, r.status());
        FakeHost.Request sent = host.take();
        assertEquals("/invoke/i-1/x", sent.target());
        assertEquals(null, sent.headers().get("authorization"), "the token stays at the gateway");
        assertEquals("me", sent.headers().get("x-caller"));
        assertEquals(1, auth.calls().get());
    }

    @Test
    void aGatewayWithoutInvokeAuthRefusesTokenFunctionsAndServesPublicOnes() throws Exception {
        gateway.close();
        gateway = new Gateway(catalog, leases, records::add, 1024, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        gateway.start("127.0.0.1", 0, 1, 1);
        assertEquals(503, call("/ns/team-a/fn/closed", "authorization: Bearer good-a").status());
        assertEquals(200, call("/ns/team-a/fn/open").status());
    }

    @Test
    void aPeerGetsTheAuthorizationHeaderToCheckItAgain() throws Exception {
        try (FakeHost peer = new FakeHost()) {
            gateway.close();
            gateway = start(new FakePeerRoutes(List.of(new PeerRoutes.Peer("node-b", "127.0.0.1", peer.port()))), auth);
            assertEquals(200, call("/ns/team-a/fn/closed", "authorization: Bearer good-a").status());
            assertEquals("Bearer good-a", peer.take().headers().get("authorization"));
        }
    }

    @Test
    void aPublicFunctionCannotClaimToNeedAToken() throws Exception {
        host.handler = FakeHost.answer(401, "give me your token", "www-authenticate", "Bearer realm=\"nest\"",
                "x-nest-auth", "token");
        RawClient.Response r = call("/ns/team-a/fn/open");
        assertEquals(401, r.status());
        assertEquals(Optional.empty(), r.header("x-nest-auth"));
    }

    @Test
    void withoutAuthorizationKeepsEveryOtherHeaderInOrder() {
        assertEquals(List.of("a", "1", "b", "2"),
                Gateway.withoutAuthorization(List.of("a", "1", "Authorization", "Bearer x", "b", "2", "AUTHORIZATION", "y")));
    }
}
