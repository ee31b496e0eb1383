package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.alert.AlertState;
import dev.nest.alert.AlertStatus;
import dev.nest.auth.Role;
import dev.nest.common.Json;
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

/** {@code /api/v1/alerts}: rules written, read with their state, deleted; namespaces checked by the handler. */
class AlertRoutesTest {
    private static final String P = "/api/v1/alerts";
    private static final String RULE = "{\"namespace\":\"shop\",\"function\":\"cart\",\"when\":\"p99 > 500ms over 15m\","
            + "\"webhook\":\"https://hooks.example.com/T1\"}";

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
    void aRuleIsWrittenReadWithItsStateListedAndDeleted() {
        HttpResponse<String> put = api.send("PUT", P + "/cart-slow", RULE);
        assertEquals(200, put.statusCode(), put.body());
        assertEquals("p99 > 500ms over 15m", json(put).get("when").asText());
        assertEquals("ok", json(put).get("state").asText());
        api.alerts.state(new AlertStatus("cart-slow", AlertState.FIRING, AdminApiFixture.T0, Optional.of(812.5), ""));
        JsonNode got = json(api.send("GET", P + "/cart-slow", ""));
        assertEquals("firing", got.get("state").asText());
        assertEquals(812.5, got.get("value").asDouble());
        assertEquals("cart", got.get("function").asText());
        JsonNode list = json(api.send("GET", P, ""));
        assertEquals(1, list.get("alerts").size());
        assertEquals(204, api.send("DELETE", P + "/cart-slow", "").statusCode());
        assertEquals(404, api.send("GET", P + "/cart-slow", "").statusCode());
        assertEquals(404, api.send("DELETE", P + "/cart-slow", "").statusCode());
    }

    @Test
    void badRulesAre400sNamingTheKey() {
        HttpResponse<String> res = api.send("PUT", P + "/x", RULE.replace("hooks.example.com", "169.254.169.254"));
        assertEquals(400, res.statusCode(), res.body());
        assertTrue(json(res).get("detail").asText().startsWith("webhook: the host '169.254.169.254'"), res.body());
        res = api.send("PUT", P + "/x", RULE.replace("p99 > 500ms", "p99 > 500"));
        assertEquals(400, res.statusCode(), res.body());
        assertTrue(json(res).get("detail").asText().contains("ms, s, m or h"), res.body());
        assertEquals(400, api.send("PUT", P + "/Bad_Name", RULE).statusCode());
        assertEquals(400, api.send("PUT", P + "/x", "[1]").statusCode());
        assertEquals(400, api.send("PUT", P + "/x", "{").statusCode());
    }

    @Test
    void namespacesAreChecked() {
        api.send("PUT", P + "/cart-slow", RULE);
        api.send("PUT", P + "/other", RULE.replace("\"shop\"", "\"billing\""));
        String shopReader = token("r", Role.VIEWER, "shop");
        String shopDev = token("d", Role.DEVELOPER, "shop");
        String billingDev = token("b", Role.DEVELOPER, "billing");
        assertEquals(List.of("cart-slow"), json(as(shopReader, "GET", P, "")).get("alerts").findValuesAsText("name"));
        assertEquals(200, as(shopReader, "GET", P + "/cart-slow", "").statusCode());
        assertEquals(403, as(shopReader, "GET", P + "/other", "").statusCode());
        assertEquals(403, as(shopReader, "PUT", P + "/cart-slow", RULE).statusCode());
        assertEquals(403, as(billingDev, "PUT", P + "/new", RULE).statusCode());
        assertEquals(403, as(billingDev, "PUT", P + "/cart-slow", RULE.replace("\"shop\"", "\"billing\"")).statusCode(),
                "moving a rule needs deploy in its old namespace too");
        assertEquals(403, as(shopDev, "DELETE", P + "/other", "").statusCode());
        assertEquals(200, as(shopDev, "PUT", P + "/cart-slow", RULE).statusCode());
        assertEquals(204, as(shopDev, "DELETE", P + "/cart-slow", "").statusCode());
    }
}
