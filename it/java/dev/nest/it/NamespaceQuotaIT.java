package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Namespace quotas end to end on one in-process node (process driver, Node.js): a developer cannot set a quota
 * (403); an admin sets {@code quota.instances: 1} on a namespace with two functions; the first function's cold start
 * takes the only slot and the second's is refused with a 429 that names the quota, its limit and usage, how to raise
 * it, and carries {@code Retry-After}; the namespace shows its usage; a deploy whose {@code scaling.min} exceeds the
 * quota is refused (409); once the quota is cleared the second function starts. Then the namespace's rate limit, in
 * the form of every rate ({@code 6/m}, burst 2): its two functions share the burst and the third call gets a 429 with
 * {@code Retry-After: 10}, from the gateway's admission reading the namespace store.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NamespaceQuotaIT {
    private static final String NS = "quota-a";
    private static final String HELLO_JS = "exports.handler = async () => 'hello';\n";

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(dir -> {
                Fixtures.nodeFunction(dir, "one", "namespace: " + NS + "\n", HELLO_JS);
                Fixtures.nodeFunction(dir, "two", "namespace: " + NS + "\n", HELLO_JS);
            });
    static final Http admin = node.http();

    private static Http.Response put(Http as, String path, String json) {
        return as.send(as.request(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    private static String token(String name, String role) {
        Http.Response r = admin.postJson("/api/v1/tokens", Map.of("name", name, "role", role, "namespaces", List.of(NS)));
        assertEquals(201, r.status(), r::toString);
        return r.json().path("secret").asText();
    }

    @Test
    @Order(1)
    void aDeveloperCannotSetQuotasButReadsThem() {
        Http developer = admin.withToken(token("quota-dev", "developer"));
        Http.Response refused = put(developer, "/api/v1/namespaces/" + NS, "{\"quota\":{\"instances\":100}}");
        assertEquals(403, refused.status(), refused::toString);
        assertTrue(refused.json().path("detail").asText().contains("has role developer"), refused::toString);
        Http.Response read = developer.get("/api/v1/namespaces/" + NS);
        assertEquals(200, read.status(), read::toString);
        assertEquals(0, read.json().path("quota").size(), "no quota yet: " + read);
    }

    @Test
    @Order(2)
    void anAdminSetsTheQuota() {
        Http.Response set = put(admin, "/api/v1/namespaces/" + NS, "{\"quota\":{\"instances\":1,\"memory\":\"4Gi\"}}");
        assertEquals(200, set.status(), set::toString);
        assertEquals(1, set.json().at("/quota/instances").asInt());
        Http.Response bad = put(admin, "/api/v1/namespaces/" + NS, "{\"quota\":{\"instances\":\"one\"}}");
        assertEquals(400, bad.status(), bad::toString);
        assertTrue(bad.json().path("detail").asText().contains("quota.instances"), bad::toString);
    }

    @Test
    @Order(3)
    void theSecondFunctionsColdStartGetsA429NamingTheQuota() {
        Http.Response first = admin.get("/ns/" + NS + "/fn/one");
        assertEquals(200, first.status(), first::toString);
        Http.Response second = admin.get("/ns/" + NS + "/fn/two");
        assertEquals(429, second.status(), second::toString);
        JsonNode body = second.json();
        assertEquals("namespace quota exceeded", body.path("error").asText(), second::toString);
        String detail = body.path("detail").asText();
        assertTrue(detail.contains("quota.instances of namespace '" + NS + "': limit 1, in use 1 instance(s)"), detail);
        assertTrue(detail.contains("nest ns set " + NS + " --max-instances N"), detail);
        assertEquals(java.util.Optional.of("30"), second.header("retry-after"), second::toString);

        JsonNode ns = admin.get("/api/v1/namespaces/" + NS).json();
        assertEquals(1, ns.at("/usage/instances").asInt(), ns::toString);
        JsonNode listed = admin.get("/api/v1/namespaces").json().path("namespaces");
        assertTrue(listed.findValuesAsText("namespace").contains(NS), listed::toString);
    }

    @Test
    @Order(4)
    void aDeployWhoseMinimumExceedsTheQuotaIsRefused() {
        byte[] zip = Fixtures.zip(node.scratch(), Map.of("index.js", HELLO_JS));
        String digest = admin.upload("nodejs", zip);
        Http.Response r = admin.postJson("/api/v1/functions/three/versions?namespace=" + NS,
                Map.of("spec", Map.of("runtime", "nodejs", "namespace", NS, "scaling", Map.of("min", 2, "max", 4)),
                        "digest", digest));
        assertEquals(409, r.status(), r::toString);
        assertTrue(r.json().path("detail").asText().contains("scaling.min 2"), r::toString);
    }

    @Test
    @Order(5)
    void onceClearedTheSecondFunctionStarts() {
        Http.Response cleared = admin.send(admin.request("/api/v1/namespaces/" + NS).DELETE());
        assertEquals(200, cleared.status(), cleared::toString);
        Http.Response second = admin.get("/ns/" + NS + "/fn/two");
        assertEquals(200, second.status(), second::toString);
    }

    @Test
    @Order(6)
    void overTheNamespacesRateItsFunctionsGetA429WithRetryAfter() {
        Http.Response bad = put(admin, "/api/v1/namespaces/" + NS, "{\"limits\":{\"rate\":\"0.1/s\"}}");
        assertEquals(400, bad.status(), bad::toString);
        assertTrue(bad.json().path("detail").asText().contains("key 'limits.rate': value '0.1/s'"), bad::toString);
        assertTrue(bad.json().path("detail").asText().contains("600/m or 1000/h"), bad::toString);
        Http.Response set = put(admin, "/api/v1/namespaces/" + NS, "{\"limits\":{\"rate\":\"6/m\",\"burst\":2}}");
        assertEquals(200, set.status(), set::toString);
        assertEquals("6/m", set.json().at("/limits/rate").asText(), set::toString);

        assertEquals(200, admin.get("/ns/" + NS + "/fn/one").status());
        assertEquals(200, admin.get("/ns/" + NS + "/fn/two").status());
        Http.Response limited = admin.get("/ns/" + NS + "/fn/one");
        assertEquals(429, limited.status(), limited::toString);
        assertEquals(java.util.Optional.of("10"), limited.header("retry-after"), limited::toString);
        assertEquals("rate limited", limited.json().path("error").asText(), limited::toString);
        assertTrue(limited.json().path("detail").asText().contains("namespace " + NS + " is limited to 6/m (burst 2"),
                limited::toString);

        assertEquals(200, admin.send(admin.request("/api/v1/namespaces/" + NS).DELETE()).status());
        assertEquals(200, admin.get("/ns/" + NS + "/fn/one").status(), "a cleared limit applies at once");
    }
}
