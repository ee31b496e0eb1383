package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tokens end to end on one in-process node (process driver): the admin API is closed to anonymous callers and
 * open to the first admin token; a developer token works in its namespace only; a viewer cannot deploy; a revoked
 * token is refused; a function whose spec says {@code auth: token} needs an invoker token of its namespace and never
 * sees it, and a public function needs nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthIT {
    /** Answers with the headers it was given. */
    static final String HEADERS_JS = """
            exports.handler = async (event) => ({
              statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event.headers),
            });
            """;

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(dir -> {
                Fixtures.nodeFunction(dir, "open", "", HEADERS_JS);
                Fixtures.nodeFunction(dir, "closed", "namespace: team-a\nauth: token\n", HEADERS_JS);
            });
    static final Http admin = node.http();
    static Http anonymous;
    static String developerA;

    @BeforeAll
    static void tokens() {
        assertTrue(node.adminToken().isPresent(), "the node wrote no data/admin.token");
        anonymous = admin.anonymous();
    }

    /** Creates a token as the admin; returns its secret. */
    static String create(String name, String role, List<String> namespaces) {
        Http.Response r = admin.postJson("/api/v1/tokens", Map.of("name", name, "role", role, "namespaces", namespaces,
                "expires", "1d"));
        assertEquals(201, r.status(), r::toString);
        String secret = r.json().path("secret").asText(r.json().path("token").asText());
        assertTrue(secret.startsWith("nest_"), r::toString);
        return secret;
    }

    static Http.Response deploy(Http as, String namespace, String name) {
        byte[] zip = Fixtures.zip(node.scratch(), Map.of("index.js", HEADERS_JS));
        Http.Response up = as.post("/api/v1/artifacts?runtime=nodejs", "application/zip", zip);
        if (up.status() != 201) {
            return up;
        }
        return as.postJson("/api/v1/functions/" + name + "/versions?namespace=" + namespace,
                Map.of("spec", Map.of("runtime", "nodejs", "namespace", namespace),
                        "digest", up.json().path("digest").asText()));
    }

    static Http.Response invoke(String path, Optional<String> token) {
        return anonymous.send(token.map(t -> anonymous.request(path).header("Authorization", "Bearer " + t))
                .orElseGet(() -> anonymous.request(path)).GET());
    }

    @Test
    @Order(1)
    void anAnonymousAdminCallIsRefusedWithAChallenge() {
        for (String path : List.of("/api/v1/functions", "/api/v1/tokens", "/metrics")) {
            Http.Response r = anonymous.get(path);
            assertEquals(401, r.status(), () -> path + ": " + r);
            assertEquals(Optional.of("Bearer realm=\"nest\""), r.header("www-authenticate"), path);
        }
        assertEquals(200, anonymous.get("/health").status(), "health stays open");
    }

    @Test
    @Order(2)
    void theFirstAdminTokenWorks() {
        Http.Response r = admin.get("/api/v1/functions?namespace=default");
        assertEquals(200, r.status(), r::toString);
        Http.Response tokens = admin.get("/api/v1/tokens");
        assertEquals(200, tokens.status(), tokens::toString);
        assertFalse(tokens.text().contains(node.adminToken().orElseThrow()), "a list shows no secret");
    }

    @Test
    @Order(3)
    void aDeveloperDeploysInItsNamespaceOnly() {
        developerA = create("dev-a", "developer", List.of("team-a"));
        Http dev = anonymous.withToken(developerA);
        Http.Response here = deploy(dev, "team-a", "made");
        assertEquals(201, here.status(), here::toString);
        Http.Response there = deploy(dev, "default", "made");
        assertEquals(403, there.status(), there::toString);
        assertTrue(there.json().path("detail").asText().contains("team-a"), there::toString);
    }

    @Test
    @Order(4)
    void aViewerCannotDeploy() {
        Http viewer = anonymous.withToken(create("viewer-a", "viewer", List.of("team-a")));
        assertEquals(200, viewer.get("/api/v1/functions?namespace=team-a").status());
        Http.Response r = deploy(viewer, "team-a", "viewed");
        assertEquals(403, r.status(), r::toString);
    }

    @Test
    @Order(5)
    void aRevokedTokenIsRefused() {
        Http dev = anonymous.withToken(developerA);
        assertEquals(200, dev.get("/api/v1/functions?namespace=team-a").status());
        Http.Response revoked = admin.send(admin.request("/api/v1/tokens/dev-a").DELETE());
        assertEquals(200, revoked.status(), revoked::toString);
        Http.Response r = Poll.until("the revoked token refused", () -> dev.get("/api/v1/functions?namespace=team-a"),
                x -> x.status() == 401);
        assertEquals(401, r.status(), r::toString);
    }

    @Test
    @Order(6)
    void aTokenFunctionNeedsAnInvokerTokenOfItsNamespaceAndNeverSeesIt() {
        Http.Response none = invoke("/ns/team-a/fn/closed", Optional.empty());
        assertEquals(401, none.status(), none::toString);
        assertEquals(Optional.of("Bearer realm=\"nest\""), none.header("www-authenticate"));
        assertEquals(Optional.of("token"), none.header("x-nest-auth"));

        String invokerA = create("invoker-a", "invoker", List.of("team-a"));
        Http.Response ok = invoke("/ns/team-a/fn/closed", Optional.of(invokerA));
        assertEquals(200, ok.status(), ok::toString);
        JsonNode seen = ok.json();
        assertTrue(seen.path("authorization").isMissingNode(), "the function saw the token: " + seen);

        String invokerB = create("invoker-b", "invoker", List.of("team-b"));
        Http.Response other = invoke("/ns/team-a/fn/closed", Optional.of(invokerB));
        assertEquals(403, other.status(), other::toString);
    }

    @Test
    @Order(7)
    void aPublicFunctionNeedsNothing() {
        Http.Response r = invoke("/fn/open", Optional.empty());
        assertEquals(200, r.status(), r::toString);
        Http.Response withHeader = anonymous.send(anonymous.request("/fn/open").header("Authorization", "Basic eDp5").GET());
        assertEquals(200, withHeader.status(), withHeader::toString);
        assertEquals("Basic eDp5", withHeader.json().path("authorization").asText(), "a public function gets the header");
    }
}
