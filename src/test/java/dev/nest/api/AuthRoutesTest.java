package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.auth.Action;
import dev.nest.auth.Requirement;
import dev.nest.auth.Role;
import dev.nest.common.Json;
import dev.nest.sidecar.InstanceInfo;
import dev.nest.store.InvocationRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route of {@link AdminRoutes#table()} through the real routing and the authentication filter: only the
 * health probes answer without a token; every other route refuses an anonymous call, a malformed token, a token
 * whose role does not permit its action and a token that does not cover its namespace. The test iterates the
 * table, and {@link AdminRoutesTest} fails for a route the table does not list, so no route can ship open.
 */
class AuthRoutesTest {
    private static final String P = "/api/v1";
    private static final Set<String> OPEN = Set.of("GET /health", "GET /health/ready", "GET /", "GET /console",
            "GET /console/*");
    private static final String HEX = "a".repeat(64);

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

    /** A request path that the route's pattern matches. */
    static String concrete(Route r) {
        return r.path().replace("{name}", "hello").replace("{sha256}", HEX).replace("{digest}", "sha256:" + HEX)
                .replace("{id}", "inv-1").replace("{runtime}", "fake").replace("{alias}", "beta").replace("{version}", "1").replace("*", "nothing-here");
    }

    /** The methods a request of the route is sent with. */
    private static List<String> methods(Route r) {
        return r.method().equals("ANY") ? List.of("GET", "POST", "DELETE") : List.of(r.method());
    }

    private HttpResponse<String> call(String method, String path, Optional<String> authorization, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(api.uri(path))
                .method(method, method.equals("GET") || method.equals("HEAD") || method.equals("DELETE")
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}"));
        authorization.ifPresent(a -> b.header("Authorization", a));
        headers.forEach(b::header);
        return api.sendAsIs(b.build());
    }

    private HttpResponse<String> call(String method, String path, Optional<String> authorization) {
        return call(method, path, authorization, Map.of());
    }

    private String token(String name, Role role, String... namespaces) {
        return "Bearer " + api.tokens.create(name, role, List.of(namespaces), Optional.empty()).secret().reveal();
    }

    private static void assertRefused(int status, String method, HttpResponse<String> res, String what) {
        assertEquals(status, res.statusCode(), what + ": " + res.body());
        if (!method.equals("HEAD")) {
            JsonNode body = Json.tree(res.body().getBytes(StandardCharsets.UTF_8), "response");
            List<String> fields = new ArrayList<>();
            body.fieldNames().forEachRemaining(fields::add);
            assertEquals(List.of("error", "detail"), fields, what);
            assertEquals(Optional.of("application/json"), res.headers().firstValue("Content-Type"), what);
        }
        assertEquals(status == 401 ? Optional.of("Bearer realm=\"nest\"") : Optional.empty(),
                res.headers().firstValue("WWW-Authenticate"), what);
    }

    @Test
    void onlyTheHealthProbesAreOpen() {
        for (Route r : AdminRoutes.table()) {
            String row = r.method() + " " + r.path();
            assertEquals(OPEN.contains(row), r.requirement().open(), row);
            if (r.requirement().open()) {
                HttpResponse<String> res = call(r.method(), concrete(r), Optional.empty());
                // the health probes answer; the console's redirects and files (none in this fixture: 404) need no token
                assertTrue(r.resource().equals("console") ? Set.of(302, 404).contains(res.statusCode())
                        : res.statusCode() == 200, row + " -> " + res.statusCode());
            }
        }
    }

    @Test
    void everyOtherRouteRefusesAnAnonymousCallAndAMalformedToken() {
        for (Route r : AdminRoutes.table()) {
            if (r.requirement().open()) {
                continue;
            }
            for (String method : methods(r)) {
                String what = method + " " + concrete(r);
                assertRefused(401, method, call(method, concrete(r), Optional.empty()), what + " without a token");
                assertRefused(401, method, call(method, concrete(r), Optional.of("Bearer nest_notatoken")),
                        what + " with a malformed token");
                assertRefused(401, method, call(method, concrete(r), Optional.of("Basic cm9vdDpyb290")),
                        what + " with another scheme");
                assertRefused(401, method, call(method, concrete(r), Optional.empty(),
                        Map.of(api.peer.headerName(), "forged")), what + " with a forged peer credential");
            }
        }
    }

    /** The highest role that does not permit {@code action}. */
    private static Role below(Action action) {
        return switch (action) {
            case ADMIN -> Role.DEVELOPER;
            case DEPLOY, LOGS -> Role.VIEWER;
            case READ, INVOKE -> Role.INVOKER;
        };
    }

    @Test
    void everyRouteRefusesATokenOutsideItsRole() {
        for (Route r : AdminRoutes.table()) {
            Requirement need = r.requirement();
            String row = r.method() + " " + concrete(r);
            if (need.kind() == Requirement.Kind.TOKEN) {
                // the catch-alls answer any valid token with their 404
                String invoker = token("any-" + Math.abs(row.hashCode()), Role.INVOKER, "*");
                assertEquals(404, call("GET", concrete(r), Optional.of(invoker)).statusCode(), row);
            }
            if (need.action().isEmpty()) {
                continue;
            }
            Role role = below(need.action().get());
            assertTrue(!role.permits(need.action().get()));
            String t = token("role-" + Math.abs(row.hashCode()), role, "*");
            for (String method : methods(r)) {
                HttpResponse<String> res = call(method, concrete(r), Optional.of(t));
                assertRefused(403, method, res, method + " " + concrete(r) + " as " + role);
                if (!method.equals("HEAD")) {
                    assertTrue(res.body().contains("has role " + role.key()), res.body());
                }
            }
        }
    }

    @Test
    void everyRouteWithANamespaceInTheQueryRefusesATokenOutsideIt() {
        String shop = token("shop-dev", Role.DEVELOPER, "shop");
        Set<Requirement.Namespace> inQuery = Set.of(Requirement.Namespace.QUERY, Requirement.Namespace.QUERY_AND_BODY,
                Requirement.Namespace.QUERY_OR_FILTER, Requirement.Namespace.FUNCTION_QUERY_OR_FILTER);
        int checked = 0;
        for (Route r : AdminRoutes.table()) {
            if (!inQuery.contains(r.requirement().namespace())) {
                continue;
            }
            assertTrue(Role.DEVELOPER.permits(r.requirement().action().orElseThrow()), r.path());
            String path = concrete(r) + "?namespace=billing"
                    + (r.requirement().namespace() == Requirement.Namespace.FUNCTION_QUERY_OR_FILTER ? "&function=hello" : "");
            for (String method : methods(r)) {
                HttpResponse<String> res = call(method, path, Optional.of(shop));
                assertRefused(403, method, res, method + " " + path);
                assertTrue(res.body().contains("not 'billing'"), res.body());
                checked++;
            }
        }
        assertTrue(checked >= 10, "checked " + checked);
    }

    /** The routes whose namespace only the handler sees: each has its own test below. */
    @Test
    void theRoutesCheckedInTheirHandlerAreTheOnesTestedHere() {
        Set<String> handler = AdminRoutes.table().stream()
                .filter(r -> Set.of(Requirement.Namespace.BODY, Requirement.Namespace.QUERY_AND_BODY,
                        Requirement.Namespace.RECORD, Requirement.Namespace.FILTER,
                        Requirement.Namespace.QUERY_OR_FILTER, Requirement.Namespace.FUNCTION_QUERY_OR_FILTER)
                        .contains(r.requirement().namespace()))
                .map(r -> r.method() + " " + r.path()).collect(Collectors.toSet());
        assertEquals(Set.of("POST " + P + "/functions", "PUT " + P + "/functions/{name}",
                "POST " + P + "/functions/{name}/versions", "GET " + P + "/invocations/{id}",
                "GET " + P + "/functions", "GET " + P + "/instances", "GET " + P + "/invocations", "GET " + P + "/logs",
                "GET " + P + "/namespaces", "GET " + P + "/namespaces/{name}", "PUT " + P + "/namespaces/{name}",
                "GET " + P + "/namespaces/{name}/report", // ReportRoutesTest.aReaderOfAnotherNamespaceIsRefused
                "GET " + P + "/alerts", "GET " + P + "/alerts/{name}", "PUT " + P + "/alerts/{name}",
                "DELETE " + P + "/alerts/{name}", // AlertRoutesTest.namespacesAreChecked
                "DELETE " + P + "/namespaces/{name}"), handler);
    }

    private String upload() {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("index.js"));
            out.write("exports.handler = async () => 'hi';\n".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        HttpResponse<String> res = api.send(HttpRequest.newBuilder(api.uri(P + "/artifacts"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray())).build());
        assertEquals(201, res.statusCode(), res.body());
        return Json.tree(res.body().getBytes(StandardCharsets.UTF_8), "upload").get("digest").asText();
    }

    private HttpResponse<String> send(String method, String path, String token, String body) {
        return api.sendAsIs(HttpRequest.newBuilder(api.uri(path)).header("Authorization", token)
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build());
    }

    @Test
    void aDeployIsCheckedAgainstTheNamespaceItsSpecNames() {
        String digest = upload();
        String shop = token("shop-dev", Role.DEVELOPER, "shop");
        HttpResponse<String> create = send("POST", P + "/functions", shop,
                "{\"spec\":{\"name\":\"hello\",\"namespace\":\"billing\",\"runtime\":\"fake\"},\"digest\":\"" + digest + "\"}");
        assertRefused(403, "POST", create, "create in another namespace");
        assertTrue(create.body().contains("not 'billing'"), create.body());
        assertTrue(api.registry.all().isEmpty(), "nothing was deployed");
        assertEquals(201, send("POST", P + "/functions", shop,
                "{\"spec\":{\"name\":\"hello\",\"namespace\":\"shop\",\"runtime\":\"fake\"},\"digest\":\"" + digest + "\"}")
                .statusCode());

        String elsewhere = "{\"spec\":{\"namespace\":\"billing\",\"runtime\":\"fake\"},\"digest\":\"" + digest + "\"}";
        assertRefused(403, "PUT", send("PUT", P + "/functions/hello?namespace=shop", shop, elsewhere),
                "update naming another namespace");
        assertRefused(403, "POST", send("POST", P + "/functions/hello/versions?namespace=shop", shop, elsewhere),
                "new version naming another namespace");
        assertEquals(201, send("POST", P + "/functions/hello/versions?namespace=shop", shop,
                "{\"spec\":{\"runtime\":\"fake\"},\"digest\":\"" + digest + "\"}").statusCode());
    }

    @Test
    void anInvocationIsShownOnlyToATokenCoveringItsFunction() {
        api.store.record(new InvocationRecord("inv-1", "billing/pay", 1, AdminApiFixture.T0, 2.5, 200, true, "i-1", "",
                Map.of()));
        api.store.record(new InvocationRecord("inv-2", "shop/cart", 1, AdminApiFixture.T0, 2.5, 200, true, "i-2", "",
                Map.of()));
        String shop = token("shop-dev", Role.DEVELOPER, "shop");
        HttpResponse<String> other = call("GET", P + "/invocations/inv-1", Optional.of(shop));
        assertRefused(403, "GET", other, "an invocation of another namespace");
        assertTrue(other.body().contains("not 'billing'"), other.body());
        assertEquals(200, call("GET", P + "/invocations/inv-2", Optional.of(shop)).statusCode());

        JsonNode list = Json.tree(call("GET", P + "/invocations", Optional.of(shop)).body().getBytes(StandardCharsets.UTF_8), "list");
        assertEquals(List.of("inv-2"), list.get("invocations").findValuesAsText("id"));
        JsonNode all = Json.tree(api.get(P + "/invocations").body().getBytes(StandardCharsets.UTF_8), "list");
        assertEquals(2, all.get("invocations").size());
    }

    @Test
    void regionLogsShowOnlyCoveredNamespacesAndAPeerGetsThisNodesWholePart() {
        api.store.log(new dev.nest.store.LogLine(AdminApiFixture.T0, "billing/pay", 1, "inv-1", "i-1", "info", "paid"));
        api.store.log(new dev.nest.store.LogLine(AdminApiFixture.T0, "shop/cart", 1, "inv-2", "i-2", "info", "carted"));
        api.store.log(new dev.nest.store.LogLine(AdminApiFixture.T0, "", 0, "", "pod-1", "info", "pod line"));
        String shop = token("shop-logs", Role.DEVELOPER, "shop");
        JsonNode mine = Json.tree(call("GET", P + "/logs", Optional.of(shop)).body().getBytes(StandardCharsets.UTF_8), "logs");
        assertEquals(List.of("carted"), mine.get("logs").findValuesAsText("text"));
        assertRefused(403, "GET", call("GET", P + "/logs?function=billing/pay", Optional.of(shop)), "another namespace");
        Map<String, String> peer = Map.of(api.peer.headerName(), api.peer.headerValue());
        HttpResponse<String> fromPeer = call("GET", P + "/logs?scope=node", Optional.empty(), peer);
        assertEquals(200, fromPeer.statusCode(), fromPeer.body());
        assertEquals(List.of("paid", "carted", "pod line"), Json.tree(fromPeer.body().getBytes(StandardCharsets.UTF_8),
                "logs").get("logs").findValuesAsText("text"));
        HttpResponse<String> bad = call("GET", P + "/logs?since=yesterday", Optional.of(shop));
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("query parameter 'since'"), bad.body());
    }

    @Test
    void listsSpanningNamespacesShowOnlyTheCoveredOnes() {
        String digest = upload();
        for (String ns : List.of("shop", "billing")) {
            assertEquals(201, api.send("POST", P + "/functions", "{\"spec\":{\"name\":\"f\",\"namespace\":\"" + ns
                    + "\",\"runtime\":\"fake\"},\"digest\":\"" + digest + "\"}").statusCode());
        }
        api.problems.add(new dev.nest.deploy.FileProblem("functions/x.yaml", "billing", "x", "bad"));
        api.node.instances.add(new InstanceInfo("i-1", "shop/f", 1, "ready", 0, 3, 4000, "pod-1"));
        api.node.instances.add(new InstanceInfo("i-2", "billing/f", 1, "ready", 0, 3, 4001, "pod-2"));
        String shop = token("shop-view", Role.VIEWER, "shop");

        JsonNode functions = Json.tree(call("GET", P + "/functions", Optional.of(shop)).body()
                .getBytes(StandardCharsets.UTF_8), "functions");
        assertEquals(List.of("shop"), functions.get("functions").findValuesAsText("namespace"));
        assertEquals(3, Json.tree(api.get(P + "/functions").body().getBytes(StandardCharsets.UTF_8), "all")
                .get("functions").size());
        JsonNode instances = Json.tree(call("GET", P + "/instances", Optional.of(shop)).body()
                .getBytes(StandardCharsets.UTF_8), "instances");
        assertEquals(List.of("i-1"), instances.findValuesAsText("id"));
    }

    @Test
    void aPeerCredentialOpensThePeerRoutesOnly() {
        Map<String, String> peer = Map.of(api.peer.headerName(), api.peer.headerValue());
        assertEquals(200, call("GET", P + "/cluster/load", Optional.empty(), peer).statusCode());
        assertEquals(404, call("HEAD", P + "/artifacts/chunks/" + HEX, Optional.empty(), peer).statusCode());
        assertEquals(404, call("GET", P + "/artifacts/manifests/sha256:" + HEX, Optional.empty(), peer).statusCode());
        assertNotEquals(401, call("POST", P + "/cluster/load", Optional.empty(), peer).statusCode());
        for (Route r : AdminRoutes.table()) {
            if (!r.requirement().peer() && !r.requirement().open()) {
                for (String method : methods(r)) {
                    assertRefused(401, method, call(method, concrete(r), Optional.empty(), peer),
                            method + " " + concrete(r) + " with only the peer credential");
                }
            }
        }
        assertEquals(Set.of("PUT " + P + "/artifacts/chunks/{sha256}", "GET " + P + "/artifacts/chunks/{sha256}",
                        "HEAD " + P + "/artifacts/chunks/{sha256}", "POST " + P + "/artifacts/manifests",
                        "GET " + P + "/artifacts/manifests/{digest}", "GET " + P + "/cluster/load",
                        "POST " + P + "/cluster/load", "GET " + P + "/report/buckets",
                        "GET " + P + "/invocations", "GET " + P + "/invocations/{id}", "GET " + P + "/logs",
                        "POST " + P + "/invocations/{id}/stop"),
                AdminRoutes.table().stream().filter(r -> r.requirement().peer()).map(r -> r.method() + " " + r.path())
                        .collect(Collectors.toSet()));
    }

    @Test
    void anEscapedSlashCannotMakeTheFilterSeeAnotherRoute() {
        String viewer = token("look", Role.VIEWER, "*");
        HttpResponse<String> res = call("DELETE", P + "/tokens/a%2Fb", Optional.of(viewer));
        assertRefused(403, "DELETE", res, "an escaped slash");
    }
}
