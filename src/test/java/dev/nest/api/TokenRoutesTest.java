package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.auth.Role;
import dev.nest.auth.TokenSecret;
import dev.nest.common.Json;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token endpoints through the real routing and the authentication filter. */
class TokenRoutesTest {
    @TempDir
    Path dir;
    private AdminApiFixture api;

    @BeforeEach
    void start() {
        api = new AdminApiFixture(dir).start();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private HttpResponse<String> send(String method, String path, String token, String body) {
        return api.sendAsIs(HttpRequest.newBuilder(api.uri(path)).header("Authorization", "Bearer " + token)
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    @Test
    void anAdminCreatesListsAndRevokesTokens() throws Exception {
        HttpResponse<String> created = send("POST", "/api/v1/tokens", api.admin,
                "{\"name\": \"ci\", \"role\": \"developer\", \"namespaces\": [\"shop\", \"team-*\"], \"expires\": \"30d\"}");
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(Optional.of("no-store"), created.headers().firstValue("Cache-Control"));
        JsonNode token = Json.mapper().readTree(created.body());
        String secret = token.get("secret").asText();
        TokenSecret.parse(secret);
        assertEquals("developer", token.get("role").asText());
        assertEquals(AdminApiFixture.T0.plus(Duration.ofDays(30)).toString(), token.get("expiresAt").asText());
        assertEquals(secret.substring(0, 13), token.get("prefix").asText());

        HttpResponse<String> list = send("GET", "/api/v1/tokens", api.admin, "");
        assertEquals(200, list.statusCode());
        assertFalse(list.body().contains(secret.substring(13)), "no secret in the list");
        assertEquals(List.of("ci", "root"), Json.mapper().readTree(list.body()).get("tokens").findValuesAsText("name"));

        assertEquals(404, send("GET", "/api/v1/functions/cart?namespace=team-a", secret, "").statusCode(),
                "the developer passes the filter and finds no function");
        assertEquals(403, send("GET", "/api/v1/tokens", secret, "").statusCode(), "a developer is no admin");

        HttpResponse<String> revoked = send("DELETE", "/api/v1/tokens/ci", api.admin, "");
        assertEquals(200, revoked.statusCode(), revoked.body());
        assertEquals("{\"revoked\":\"ci\"}", revoked.body());
        assertEquals(401, send("GET", "/api/v1/functions/cart?namespace=team-a", secret, "").statusCode());
        assertEquals(404, send("DELETE", "/api/v1/tokens/ci", api.admin, "").statusCode());
    }

    @Test
    void aTokenMayBeCreatedWithARateOfItsOwn() throws Exception {
        HttpResponse<String> created = send("POST", "/api/v1/tokens", api.admin,
                "{\"name\": \"ci\", \"role\": \"invoker\", \"namespaces\": [\"shop\"], \"rate\": \"50/s\"}");
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("50/s", Json.mapper().readTree(created.body()).get("rate").asText());
        String secret = Json.mapper().readTree(created.body()).get("secret").asText();
        assertEquals(Optional.of(dev.nest.common.Rate.parse("50/s")),
                api.tokens.authenticate(TokenSecret.parse(secret)).orElseThrow().rate());
        HttpResponse<String> list = send("GET", "/api/v1/tokens", api.admin, "");
        assertTrue(list.body().contains("\"rate\":\"50/s\""), list.body());
        for (String bad : List.of("\"50/d\"", "\"0.5/s\"", "\"fast\"", "50")) {
            HttpResponse<String> r = send("POST", "/api/v1/tokens", api.admin,
                    "{\"name\": \"ci2\", \"role\": \"invoker\", \"namespaces\": [\"shop\"], \"rate\": " + bad + "}");
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("key 'rate'"), r.body());
        }
    }

    @Test
    void badRequestsNameTheKey() {
        HttpResponse<String> noNamespaces = send("POST", "/api/v1/tokens", api.admin, "{\"name\": \"ci\", \"role\": \"viewer\"}");
        assertEquals(400, noNamespaces.statusCode());
        assertTrue(noNamespaces.body().contains("key 'namespaces'"), noNamespaces.body());
        HttpResponse<String> badRole = send("POST", "/api/v1/tokens", api.admin,
                "{\"name\": \"ci\", \"role\": \"owner\", \"namespaces\": [\"*\"]}");
        assertEquals(400, badRole.statusCode());
        assertTrue(badRole.body().contains("key 'role': value 'owner'"), badRole.body());
        HttpResponse<String> badExpiry = send("POST", "/api/v1/tokens", api.admin,
                "{\"name\": \"ci\", \"role\": \"admin\", \"expires\": \"soon\"}");
        assertEquals(400, badExpiry.statusCode());
        assertTrue(badExpiry.body().contains("key 'expires': value 'soon'"), badExpiry.body());
        assertEquals(List.of("root"), api.tokens.list().stream().map(t -> t.name()).toList());
    }

    @Test
    void theHandlerRefusesWithoutAPrincipalEvenIfTheFilterIsMissing() {
        AdminApiFixture bare = new AdminApiFixture(dir.resolve("bare"));
        try {
            io.helidon.webserver.http.HttpRouting.Builder routing = io.helidon.webserver.http.HttpRouting.builder();
            Errors.register(routing);
            bare.api.routing(routing);
            io.helidon.webserver.WebServer server = io.helidon.webserver.WebServer.builder().host("127.0.0.1").port(0)
                    .addRouting(routing).build().start();
            try {
                HttpResponse<String> r = bare.sendAsIs(HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + server.port() + "/api/v1/tokens")).GET().build());
                assertEquals(401, r.statusCode(), r.body());
            } finally {
                server.stop();
            }
        } finally {
            bare.close();
        }
        assertTrue(api.tokens.list().stream().anyMatch(t -> t.role() == Role.ADMIN));
    }
}
