package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.auth.Role;
import dev.nest.common.Json;
import dev.nest.report.Bucket;
import dev.nest.report.Latency;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code /api/v1/functions/{name}/report}, {@code /api/v1/namespaces/{name}/report} and the peer route. */
class ReportRoutesTest {
    private static final String P = "/api/v1";
    /** The minute before the fixture's now (03:04:05). */
    private static final long MINUTE = AdminApiFixture.T0.getEpochSecond() / 60 * 60 - 60;

    @TempDir
    Path dir;
    private AdminApiFixture api;

    @BeforeEach
    void start() {
        api = new AdminApiFixture(dir).start();
        Latency l = Latency.empty();
        l.recordMillis(12);
        l.recordMillis(12);
        l.recordMillis(400);
        api.reportBuckets.add(new Bucket("shop/cart", 3, 60, MINUTE, 3, 1, 0, 1, 2, 1, l.encode(), new byte[0]));
        api.reportBuckets.add(new Bucket("shop/pay", 1, 60, MINUTE, 5, 0, 2, 0, 1, 1, Latency.empty().encode(),
                new byte[0]));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private static JsonNode json(HttpResponse<String> res) {
        return Json.tree(res.body().getBytes(StandardCharsets.UTF_8), "response");
    }

    @Test
    void aFunctionsReportHasTheDocumentedShape() {
        HttpResponse<String> res = api.send("GET", P + "/functions/cart/report?namespace=shop&window=15m", "");
        assertEquals(200, res.statusCode(), res.body());
        JsonNode r = json(res);
        assertEquals("cart", r.get("function").asText());
        assertEquals("shop", r.get("namespace").asText());
        assertEquals("15m", r.get("window").asText());
        assertEquals(60, r.get("bucketSeconds").asInt());
        assertEquals(false, r.get("partial").asBoolean());
        for (String k : List.of("requests", "errors", "errorRate", "throttles", "p50", "p95", "p99", "coldStarts",
                "coldStartRate", "initP50", "maxConcurrency", "instances", "queueDepth", "queueAgeSeconds")) {
            assertTrue(r.get("totals").has(k), k);
        }
        assertEquals(3, r.at("/totals/requests").asInt());
        assertEquals(2, r.at("/totals/queueDepth").asInt());
        assertEquals(7.5, r.at("/totals/queueAgeSeconds").asDouble());
        assertEquals(0.333333, r.at("/totals/errorRate").asDouble());
        assertTrue(r.at("/totals/p99").asDouble() > 390, r.toString());
        assertEquals(15, r.get("series").size());
        JsonNode last = r.get("series").get(13);
        for (String k : List.of("at", "requests", "errors", "throttles", "p50", "p95", "p99", "coldStarts",
                "maxConcurrency", "instances")) {
            assertTrue(last.has(k), k);
        }
        assertEquals(3, last.get("requests").asInt());
        assertEquals(java.time.Instant.ofEpochSecond(MINUTE).toString(), last.get("at").asText());
    }

    @Test
    void aNamespacesReportSumsItsFunctions() {
        HttpResponse<String> res = api.send("GET", P + "/namespaces/shop/report?window=5m", "");
        assertEquals(200, res.statusCode(), res.body());
        assertEquals(8, json(res).at("/totals/requests").asInt());
        assertEquals(2, json(res).at("/totals/throttles").asInt());
        assertTrue(json(res).get("function").isNull());
    }

    @ParameterizedTest
    @ValueSource(strings = {"2h", "", "1H", "%27%3B--", "60"})
    void hostileWindowsAre400sNamingTheAllowedOnes(String window) {
        HttpResponse<String> res = api.send("GET", P + "/functions/cart/report?namespace=shop&window=" + window, "");
        assertEquals(400, res.statusCode(), res.body());
        assertTrue(json(res).get("detail").asText().contains("use one of 5m, 15m, 1h, 6h, 24h, 7d"), res.body());
    }

    @Test
    void anUnknownFunctionWithoutInvocationsIsA404() {
        HttpResponse<String> res = api.send("GET", P + "/functions/nothing/report", "");
        assertEquals(404, res.statusCode(), res.body());
    }

    @Test
    void aReaderOfAnotherNamespaceIsRefused() {
        String other = api.tokens.create("v", Role.VIEWER, List.of("other"), Optional.empty()).secret().reveal();
        for (String path : List.of(P + "/namespaces/shop/report", P + "/functions/cart/report?namespace=shop")) {
            HttpResponse<String> res = api.sendAsIs(HttpRequest.newBuilder(api.uri(path))
                    .header("Authorization", "Bearer " + other).GET().build());
            assertEquals(403, res.statusCode(), path + " " + res.body());
        }
    }

    @Test
    void thePeerRouteAnswersThisNodesBucketsToAPeerOnly() {
        String q = P + "/report/buckets?scope=namespace&name=shop&resolution=60&from=" + (MINUTE - 60) + "&until="
                + (MINUTE + 60);
        HttpResponse<String> peer = api.sendAsIs(HttpRequest.newBuilder(api.uri(q))
                .header("X-Nest-Cluster-Auth", "peer-v1").GET().build());
        assertEquals(200, peer.statusCode(), peer.body());
        assertEquals("node-1", json(peer).get("node").asText());
        assertEquals(2, json(peer).get("buckets").size());
        assertEquals(2, json(peer).at("/backlog/depth").asInt());
        String viewer = api.tokens.create("v", Role.VIEWER, List.of("*"), Optional.empty()).secret().reveal();
        assertEquals(403, api.sendAsIs(HttpRequest.newBuilder(api.uri(q)).header("Authorization", "Bearer " + viewer)
                .GET().build()).statusCode());
        for (String bad : List.of("scope=x&name=shop&from=1&until=2", "scope=function&name=..&from=1&until=2",
                "scope=namespace&name=shop&from=-1&until=2", "scope=namespace&name=shop&from=1&until=99999999999",
                "scope=namespace&name=shop&resolution=7&from=1&until=2", "scope=namespace&name=Shop&from=1&until=2")) {
            HttpResponse<String> res = api.send("GET", P + "/report/buckets?" + bad, "");
            assertEquals(400, res.statusCode(), bad + " " + res.body());
        }
    }
}
