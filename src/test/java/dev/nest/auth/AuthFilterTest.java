package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.ErrorResponse;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The filter and the token routes on a real Helidon server on a loopback port chosen by the system. */
class AuthFilterTest {
    private static final FakeClock CLOCK = new FakeClock(Instant.parse("2026-12-01T00:00:00Z"));
    private static final InMemoryTokenStore STORE = new InMemoryTokenStore(CLOCK);
    private static WebServer server;
    private static HttpClient http;
    private static String admin;

    @BeforeAll
    static void start() {
        HttpRouting.Builder routing = HttpRouting.builder();
        routing.error(NestException.class, (req, res, e) -> {
            ErrorResponse r = ErrorResponse.of(e);
            res.status(r.status());
            res.send(r.body());
        });
        routing.addFilter(new AuthFilter(new Authorizer(STORE)));
        new TokenRoutes(STORE, CLOCK).routing(routing);
        routing.get("/health", (req, res) -> res.send("ok"));
        routing.get("/api/v1/functions/{name}", (req, res) -> res.send(AuthFilter.principal(req).name()));
        routing.get("/api/v1/functions", (req, res) -> res.send(AuthFilter.principal(req).coversAll() ? "all" : "some"));
        server = WebServer.builder().host("127.0.0.1").port(0).addRouting(routing).build().start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        admin = STORE.create("root", Role.ADMIN, List.of("*"), Optional.empty()).secret().reveal();
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @BeforeEach
    void onlyRootRemains() {
        STORE.list().stream().map(TokenInfo::name).filter(n -> !n.equals("root")).forEach(STORE::revoke);
    }

    private static HttpResponse<String> send(String method, String path, Optional<String> token, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anOpenRouteNeedsNoToken() throws Exception {
        HttpResponse<String> r = send("GET", "/health", Optional.empty(), "");
        assertEquals(200, r.statusCode());
        assertEquals("ok", r.body());
    }

    @Test
    void noTokenIs401WithAChallengeAndAJsonError() throws Exception {
        HttpResponse<String> r = send("GET", "/api/v1/functions/cart", Optional.empty(), "");
        assertEquals(401, r.statusCode());
        assertEquals(Optional.of("Bearer realm=\"nest\""), r.headers().firstValue("WWW-Authenticate"));
        assertEquals(Optional.of("application/json"), r.headers().firstValue("Content-Type"));
        JsonNode body = Json.mapper().readTree(r.body());
        assertEquals("unauthorized", body.get("error").asText());
        assertTrue(body.get("detail").asText().contains("admin.token"), r.body());
    }

    @Test
    void theHandlerSeesThePrincipalThatPassed() throws Exception {
        String viewer = STORE.create("look", Role.VIEWER, List.of("shop"), Optional.empty()).secret().reveal();
        HttpResponse<String> r = send("GET", "/api/v1/functions/cart?namespace=shop", Optional.of(viewer), "");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("look", r.body());
        assertEquals("some", send("GET", "/api/v1/functions", Optional.of(viewer), "").body());
        HttpResponse<String> other = send("GET", "/api/v1/functions/cart?namespace=billing", Optional.of(viewer), "");
        assertEquals(403, other.statusCode());
        assertTrue(other.body().contains("not 'billing'"), other.body());
        assertTrue(other.headers().firstValue("WWW-Authenticate").isEmpty());
    }

    @Test
    void anAdminCreatesListsAndRevokesTokens() throws Exception {
        HttpResponse<String> created = send("POST", "/api/v1/tokens", Optional.of(admin),
                "{\"name\": \"ci\", \"role\": \"developer\", \"namespaces\": [\"shop\", \"team-*\"], \"expires\": \"30d\"}");
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(Optional.of("no-store"), created.headers().firstValue("Cache-Control"));
        JsonNode token = Json.mapper().readTree(created.body());
        String secret = token.get("secret").asText();
        TokenSecret.parse(secret);
        assertEquals("developer", token.get("role").asText());
        assertEquals(CLOCK.instant().plus(Duration.ofDays(30)).toString(), token.get("expiresAt").asText());
        assertEquals(secret.substring(0, 13), token.get("prefix").asText());

        HttpResponse<String> list = send("GET", "/api/v1/tokens", Optional.of(admin), "");
        assertEquals(200, list.statusCode());
        assertFalse(list.body().contains(secret.substring(13)), "no secret in the list");
        assertEquals(List.of("ci", "root"), Json.mapper().readTree(list.body()).get("tokens").findValuesAsText("name"));

        assertEquals("ci", send("GET", "/api/v1/functions/cart?namespace=team-a", Optional.of(secret), "").body());
        assertEquals(403, send("GET", "/api/v1/tokens", Optional.of(secret), "").statusCode(), "a developer is no admin");

        HttpResponse<String> revoked = send("DELETE", "/api/v1/tokens/ci", Optional.of(admin), "");
        assertEquals(200, revoked.statusCode(), revoked.body());
        assertEquals(401, send("GET", "/api/v1/functions/cart?namespace=team-a", Optional.of(secret), "").statusCode());
        assertEquals(404, send("DELETE", "/api/v1/tokens/ci", Optional.of(admin), "").statusCode());
    }

    @Test
    void badRequestsNameTheKey() throws Exception {
        HttpResponse<String> noNamespaces = send("POST", "/api/v1/tokens", Optional.of(admin),
                "{\"name\": \"ci\", \"role\": \"viewer\"}");
        assertEquals(400, noNamespaces.statusCode());
        assertTrue(noNamespaces.body().contains("key 'namespaces'"), noNamespaces.body());
        HttpResponse<String> badRole = send("POST", "/api/v1/tokens", Optional.of(admin),
                "{\"name\": \"ci\", \"role\": \"owner\", \"namespaces\": [\"*\"]}");
        assertEquals(400, badRole.statusCode());
        assertTrue(badRole.body().contains("key 'role': value 'owner'"), badRole.body());
        HttpResponse<String> badExpiry = send("POST", "/api/v1/tokens", Optional.of(admin),
                "{\"name\": \"ci\", \"role\": \"admin\", \"expires\": \"soon\"}");
        assertEquals(400, badExpiry.statusCode());
        assertTrue(badExpiry.body().contains("key 'expires': value 'soon'"), badExpiry.body());
        assertEquals(List.of("root"), STORE.list().stream().map(TokenInfo::name).toList());
    }
}
