package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.auth.Role;
import dev.nest.common.Json;
import dev.nest.namespace.NamespaceRate;
import dev.nest.namespace.NamespaceUsage;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/v1/namespaces}: admins set quotas and rates; readers in scope see them with the usage. */
class NamespaceRoutesTest {
    private static final String P = "/api/v1/namespaces";

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

    private static JsonNode json(HttpResponse<String> res) {
        return Json.tree(res.body().getBytes(StandardCharsets.UTF_8), "response");
    }

    private HttpResponse<String> as(String token, String method, String path, String body) {
        return api.sendAsIs(HttpRequest.newBuilder(api.uri(path)).header("Authorization", "Bearer " + token)
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    private String token(String name, Role role, String... namespaces) {
        return api.tokens.create(name, role, List.of(namespaces), Optional.empty()).secret().reveal();
    }

    @Test
    void anAdminSetsReadsListsAndClearsANamespace() {
        HttpResponse<String> put = api.send("PUT", P + "/shop",
                "{\"quota\":{\"instances\":10,\"memory\":\"8Gi\"},\"limits\":{\"rate\":\"100/s\",\"burst\":200}}");
        assertEquals(200, put.statusCode(), put.body());
        assertEquals(10, json(put).at("/quota/instances").asInt());
        assertEquals("8Gi", json(put).at("/quota/memory").asText());
        assertEquals(Optional.of(new NamespaceRate(dev.nest.common.Rate.parse("100/s"), 200)), api.namespaces.rate("shop"));
        assertEquals(8192, api.namespaces.quota("shop").memoryMb().getAsLong());

        api.usage.put("shop", new NamespaceUsage(3, 768));
        JsonNode got = json(api.get(P + "/shop"));
        assertEquals(3, got.at("/usage/instances").asInt());
        assertEquals("768Mi", got.at("/usage/memory").asText());
        assertEquals("100/s", got.at("/limits/rate").asText());

        JsonNode none = json(api.get(P + "/billing"));
        assertEquals(0, none.get("quota").size(), "a namespace without settings has no limits");

        api.send("PUT", P + "/billing", "{\"quota\":{\"instances\":1}}");
        assertEquals(List.of("billing", "shop"), json(api.get(P)).get("namespaces").findValuesAsText("namespace"));

        assertEquals(200, api.send("DELETE", P + "/shop", "").statusCode());
        assertTrue(api.namespaces.get("shop").isEmpty());
        assertEquals(404, api.send("DELETE", P + "/shop", "").statusCode());
    }

    @Test
    void badInputIsA400NamingTheKey() {
        HttpResponse<String> res = api.send("PUT", P + "/shop", "{\"quota\":{\"memory\":\"lots\"}}");
        assertEquals(400, res.statusCode());
        assertTrue(res.body().contains("quota.memory") && res.body().contains("8Gi"), res.body());
        HttpResponse<String> name = api.send("PUT", P + "/Bad_Name", "{}");
        assertEquals(400, name.statusCode());
        assertTrue(name.body().contains("namespace 'Bad_Name' is not valid"), name.body());
        assertEquals(400, api.send("PUT", P + "/shop", "not json").statusCode());
        assertTrue(api.namespaces.list().isEmpty());
    }

    @Test
    void onlyAnAdminSetsAndAReaderSeesOnlyItsNamespaces() {
        String dev = token("dev", Role.DEVELOPER, "shop");
        HttpResponse<String> put = as(dev, "PUT", P + "/shop", "{\"quota\":{\"instances\":100}}");
        assertEquals(403, put.statusCode(), put.body());
        assertTrue(put.body().contains("has role developer"), put.body());
        assertEquals(403, as(dev, "DELETE", P + "/shop", "").statusCode());
        assertTrue(api.namespaces.list().isEmpty());

        api.send("PUT", P + "/shop", "{\"quota\":{\"instances\":2}}");
        api.send("PUT", P + "/billing", "{\"quota\":{\"instances\":2}}");
        String viewer = token("viewer", Role.VIEWER, "shop");
        assertEquals(200, as(viewer, "GET", P + "/shop", "").statusCode());
        HttpResponse<String> other = as(viewer, "GET", P + "/billing", "");
        assertEquals(403, other.statusCode());
        assertTrue(other.body().contains("not 'billing'"), other.body());
        assertEquals(List.of("shop"), json(as(viewer, "GET", P, "")).get("namespaces").findValuesAsText("namespace"));
    }
}
