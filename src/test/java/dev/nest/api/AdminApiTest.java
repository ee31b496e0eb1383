package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.cluster.Cluster;
import dev.nest.common.Json;
import dev.nest.deploy.FileProblem;
import dev.nest.function.FunctionId;
import dev.nest.pool.PoolStatus;
import dev.nest.scaler.InstanceLoad;
import dev.nest.scaler.ScalingConfig;
import dev.nest.scaler.ScalingEvent;
import dev.nest.scaler.ScalingRule;
import dev.nest.scaler.ScalingStatus;
import dev.nest.scheduler.Scheduler;
import dev.nest.sidecar.InstanceInfo;
import dev.nest.spi.DriverHealth;
import dev.nest.store.InvocationRecord;
import dev.nest.store.LogLine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API's JSON through the real routing and error mapping, served by Helidon on a free loopback port,
 * over fakes of the cluster, the node agent and the scaler. Bodies are compared as text where their field order
 * is part of what clients see.
 */
class AdminApiTest {
    private static final String P = "/api/v1";
    private static final FunctionId HELLO = FunctionId.of("default", "hello");

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

    private static void assertStatus(int status, HttpResponse<String> res) {
        assertEquals(status, res.statusCode(), res.body());
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
                .header("Content-Type", "application/zip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray())).build());
        assertStatus(201, res);
        JsonNode n = json(res);
        assertEquals(List.of("digest", "files", "bytes"), fields(n));
        assertEquals(1, n.get("files").asInt());
        return n.get("digest").asText();
    }

    private static List<String> fields(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String summary(String name, int live, int latest, int versions, String status) {
        return "{\"name\":\"" + name + "\",\"namespace\":\"default\",\"runtime\":\"fake\",\"live\":" + live
                + ",\"latest\":" + latest + ",\"versions\":" + versions + ",\"origin\":\"api\",\"updatedAt\":\""
                + AdminApiFixture.T0 + "\",\"url\":\"" + AdminApiFixture.URL + "/fn/" + name + "\",\"status\":\""
                + status + "\"";
    }

    @Test
    void healthSaysReadyOrDegradedWithTheDriverAndTheClusterState() {
        assertEquals("{\"status\":\"ready\",\"node\":\"node-1\",\"driver\":{\"name\":\"fake\",\"healthy\":true,"
                + "\"detail\":\"fake driver\"},\"cluster\":\"CONNECTED\",\"plugins\":[],\"triggers\":[]}", api.get("/health").body());
        api.cluster.state = Cluster.State.DEGRADED;
        assertEquals("degraded", json(api.get("/health")).get("status").asText());
        api.cluster.state = Cluster.State.CONNECTED;
        api.node.health = DriverHealth.down("engine gone");
        HttpResponse<String> res = api.get("/health");
        assertStatus(200, res);
        assertEquals("degraded", json(res).get("status").asText());
        assertEquals("engine gone", json(res).at("/driver/detail").asText());
    }

    @Test
    void theReadinessProbeAnswers200Or503WithNoDetail() {
        HttpResponse<String> ready = api.sendAsIs(HttpRequest.newBuilder(api.uri("/health/ready")).GET().build());
        assertStatus(200, ready);
        assertEquals("", ready.body());
        api.cluster.state = Cluster.State.DEGRADED;
        HttpResponse<String> notReady = api.sendAsIs(HttpRequest.newBuilder(api.uri("/health/ready")).GET().build());
        assertStatus(503, notReady);
        assertEquals("", notReady.body());
    }

    @Test
    void aFunctionIsCreatedReadVersionedRolledBackAndDeleted() {
        String digest = upload();
        String spec = "{\"spec\":{\"name\":\"hello\",\"runtime\":\"fake\"},\"digest\":\"" + digest + "\"}";
        HttpResponse<String> created = api.send("POST", P + "/functions", spec);
        assertStatus(201, created);
        assertEquals(summary("hello", 1, 1, 1, "ready") + ",\"version\":1,\"changed\":true,\"digest\":\"" + digest + "\"}",
                created.body());
        assertStatus(409, api.send("POST", P + "/functions", spec));

        api.node.instances.add(new InstanceInfo("i-1", "default/hello", 1, "ready", 0, 3, 4000, "pod-1"));
        HttpResponse<String> got = api.get(P + "/functions/hello");
        assertStatus(200, got);
        JsonNode n = json(got);
        assertEquals(List.of("name", "namespace", "runtime", "live", "latest", "versions", "origin", "updatedAt", "url",
                "status", "spec", "liveHistory", "aliases", "instances"), fields(n));
        assertEquals("[{\"name\":\"live\",\"versions\":{\"1\":100}}]", n.get("aliases").toString());
        assertEquals("fake", n.at("/spec/runtime").asText());
        assertEquals("[]", n.get("liveHistory").toString());
        assertEquals("i-1", n.at("/instances/0/id").asText());

        HttpResponse<String> v2 = api.send("POST", P + "/functions/hello/versions",
                "{\"spec\":{\"runtime\":\"fake\",\"memory\":256},\"digest\":\"" + digest + "\"}");
        assertStatus(201, v2);
        assertEquals(2, json(v2).get("version").asInt());
        assertEquals("[1]", json(api.get(P + "/functions/hello")).get("liveHistory").toString());
        JsonNode versions = json(api.get(P + "/functions/hello/versions"));
        assertEquals(List.of("function", "live", "versions"), fields(versions));
        assertEquals("default/hello", versions.get("function").asText());
        assertEquals(2, versions.get("live").asInt());
        assertEquals(List.of("version", "digest", "createdAt", "source", "spec", "live"), fields(versions.at("/versions/0")));
        assertFalse(versions.at("/versions/0/live").asBoolean());
        assertTrue(versions.at("/versions/1/live").asBoolean());
        assertEquals(AdminApiFixture.T0.toString(), versions.at("/versions/1/createdAt").asText());

        HttpResponse<String> back = api.send("POST", P + "/functions/hello/rollback", "{}");
        assertStatus(200, back);
        assertEquals(summary("hello", 1, 2, 2, "ready") + ",\"version\":1}", back.body());
        assertStatus(400, api.send("POST", P + "/functions/hello/rollback", "{\"to\": 0}"));

        HttpResponse<String> updated = api.send("PUT", P + "/functions/hello", "{\"spec\":{\"runtime\":\"fake\",\"memory\":512}}");
        assertStatus(200, updated);
        assertEquals(3, json(updated).get("version").asInt());

        assertEquals("{\"deleted\":\"default/hello\"}", api.send("DELETE", P + "/functions/hello", "").body());
        HttpResponse<String> gone = api.get(P + "/functions/hello");
        assertStatus(404, gone);
        assertEquals(List.of("error", "detail"), fields(json(gone)));
        assertStatus(404, api.send("DELETE", P + "/functions/hello", ""));
    }

    @Test
    void aFunctionShowsItsAliasesAndItsReleaseInShortAndTheReleaseItsHistory() {
        String digest = upload();
        assertStatus(201, api.send("POST", P + "/functions", "{\"spec\":{\"name\":\"hello\",\"runtime\":\"fake\"},"
                + "\"digest\":\"" + digest + "\"}"));
        assertStatus(201, api.send("POST", P + "/functions/hello/versions", "{\"spec\":{\"runtime\":\"fake\","
                + "\"memory\":256},\"digest\":\"" + digest + "\",\"promote\":false}"));
        assertFalse(json(api.get(P + "/functions/hello")).has("release"), "no release yet");
        assertStatus(201, api.send("POST", P + "/functions/hello/releases", "{\"to\": 2, \"steps\": [20, 100]}"));
        JsonNode n = json(api.get(P + "/functions/hello"));
        assertEquals("[{\"name\":\"live\",\"versions\":{\"1\":80,\"2\":20}}]", n.get("aliases").toString());
        assertEquals(List.of("state", "from", "to", "step", "steps", "percent", "reason", "updatedAt", "href"),
                fields(n.get("release")));
        assertEquals(List.of("running", "1", "2", "20"), List.of(n.at("/release/state").asText(), n.at("/release/from").asText(),
                n.at("/release/to").asText(), n.at("/release/percent").asText()));
        assertEquals("/api/v1/functions/hello/releases/current", n.at("/release/href").asText());
        assertStatus(200, api.send("POST", P + "/functions/hello/releases/current/pause", ""));
        JsonNode current = json(api.get(P + "/functions/hello/releases/current"));
        assertEquals(List.of("started", "paused"), List.of(current.at("/history/0/event").asText(),
                current.at("/history/1/event").asText()));
        assertEquals(2, current.get("history").size());
        assertEquals(List.of("at", "event", "step", "percent", "reason"), fields(current.at("/history/1")));
        assertEquals("paused", json(api.get(P + "/functions/hello")).at("/release/state").asText());
    }

    @Test
    void parallelCreatesOfOneNameGiveOne201AndConflicts() throws Exception {
        String digest = upload();
        List<java.util.concurrent.Future<HttpResponse<String>>> answers = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(10)) {
            for (int i = 0; i < 10; i++) {
                String spec = "{\"spec\":{\"name\":\"hello\",\"runtime\":\"fake\",\"memory\":" + (128 + i)
                        + "},\"digest\":\"" + digest + "\"}";
                answers.add(pool.submit(() -> api.send("POST", P + "/functions", spec)));
            }
            List<Integer> statuses = new java.util.ArrayList<>();
            for (var a : answers) {
                statuses.add(a.get().statusCode());
            }
            assertEquals(1, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
            assertEquals(9, statuses.stream().filter(s -> s == 409).count(), statuses.toString());
        }
        assertEquals(1, api.registry.get(HELLO).orElseThrow().versions().size());
    }

    @Test
    void aFunctionDefinedByAFileIsChangedOnlyThroughItsFile() {
        String digest = upload();
        String origin = "file:" + dir.resolve("functions/hello.yaml");
        api.deployer.deploy(new dev.nest.function.FunctionSpec(HELLO, "fake", "", 128, java.time.Duration.ofSeconds(30), 1,
                Map.of(), dev.nest.function.ScalingSpec.DEFAULT, dev.nest.function.QueueSpec.DEFAULT), digest, origin, origin);
        List<HttpResponse<String>> refused = List.of(
                api.send("PUT", P + "/functions/hello", "{\"spec\":{\"runtime\":\"fake\",\"memory\":512}}"),
                api.send("POST", P + "/functions/hello/versions", "{\"spec\":{\"runtime\":\"fake\"},\"digest\":\""
                        + digest + "\"}"),
                api.send("POST", P + "/functions/hello/rollback", "{}"),
                api.send("DELETE", P + "/functions/hello", ""));
        for (HttpResponse<String> res : refused) {
            assertStatus(409, res);
            assertEquals("conflict", json(res).get("error").asText());
            String detail = json(res).get("detail").asText();
            assertTrue(detail.startsWith("function default/hello is defined by the file hello.yaml"), detail);
            assertFalse(detail.contains(dir.toString()), detail);
        }
        assertEquals(origin, api.registry.get(HELLO).orElseThrow().origin());
    }

    @Test
    void aPackageWhoseEntriesClashIsA400NamingTheEntry() throws IOException {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            for (String name : List.of("lib", "lib/a.js")) {
                out.putNextEntry(new ZipEntry(name));
                out.write('x');
                out.closeEntry();
            }
        }
        HttpResponse<String> res = api.send(HttpRequest.newBuilder(api.uri(P + "/artifacts"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray())).build());
        assertStatus(400, res);
        String detail = json(res).get("detail").asText();
        assertTrue(detail.startsWith("package entry 'lib"), detail);
        assertFalse(detail.contains(dir.toString()), detail);
    }

    @Test
    void theListShowsFailingStartsAndBrokenFiles() {
        String digest = upload();
        api.send("POST", P + "/functions", "{\"spec\":{\"name\":\"a\",\"runtime\":\"fake\"},\"digest\":\"" + digest + "\"}");
        api.send("POST", P + "/functions", "{\"spec\":{\"name\":\"c\",\"runtime\":\"fake\"},\"digest\":\"" + digest + "\"}");
        api.node.startErrors.put(FunctionId.of("default", "a"), "no such handler");
        api.problems.add(new FileProblem("functions/b.yaml", "default", "b", "key 'runtime': missing"));
        api.problems.add(new FileProblem("functions/c.yaml", "default", "c", "key 'memory': too big"));
        api.problems.add(new FileProblem("functions/d.yaml", "other", "d", "bad"));

        HttpResponse<String> res = api.get(P + "/functions?namespace=default");
        assertStatus(200, res);
        String a = summary("a", 1, 1, 1, "ready").replace(",\"status\":\"ready\"",
                ",\"error\":\"no such handler\",\"status\":\"failing\"");
        String b = "{\"name\":\"b\",\"namespace\":\"default\",\"status\":\"error\",\"error\":\"key 'runtime': missing\","
                + "\"file\":\"functions/b.yaml\"";
        String c = summary("c", 1, 1, 1, "ready").replace(",\"status\":\"ready\"",
                ",\"error\":\"key 'memory': too big\",\"file\":\"functions/c.yaml\",\"status\":\"error\"");
        assertEquals("{\"functions\":[" + a + "}," + b + "}," + c + "}]}", res.body());
        assertEquals(4, json(api.get(P + "/functions")).get("functions").size());

        assertEquals(b + "}", api.get(P + "/functions/b").body());
    }

    @Test
    void scalingBeforeTheScalerSawTheFunctionSaysSo() {
        api.send("POST", P + "/functions", "{\"spec\":{\"name\":\"hello\",\"runtime\":\"fake\"},\"digest\":\"" + upload() + "\"}");
        api.scaling.noCapacityEvents = 2;
        JsonNode n = json(api.get(P + "/functions/hello/scaling"));
        assertEquals(List.of("name", "namespace", "version", "config", "active", "leader", "reason", "decisions",
                "placement"), fields(n));
        assertEquals("node-1", n.get("leader").asText());
        assertEquals("[]", n.get("decisions").toString());
        assertEquals("{\"noCapacityEvents\":2}", n.get("placement").toString());
        assertStatus(404, api.get(P + "/functions/nope/scaling"));
    }

    @Test
    void scalingShowsTheScalersViewNewestDecisionFirstAndThePlacement() {
        api.send("POST", P + "/functions", "{\"spec\":{\"name\":\"hello\",\"runtime\":\"fake\"},\"digest\":\"" + upload() + "\"}");
        ScalingConfig config = ScalingConfig.of(api.registry.get(HELLO).orElseThrow().liveVersion().orElseThrow().spec());
        InstanceLoad load = new InstanceLoad(HELLO, 1, 2, 1, 1, 0, 0, 40, 0.12345, 99.94, 2);
        List<ScalingEvent> events = List.of(
                new ScalingEvent(AdminApiFixture.T0, 0, 1, ScalingRule.MIN, "first", Map.of()),
                new ScalingEvent(AdminApiFixture.T0.plusSeconds(1), 1, 2, ScalingRule.METRIC, "busy",
                        Map.of("concurrency.avg6s", 1.5)));
        api.scaling.statuses.put(HELLO, new ScalingStatus(HELLO, 1, config, true, 2, ScalingRule.METRIC, "busy",
                AdminApiFixture.T0.plusSeconds(1), load, Map.of("concurrency.avg6s", 1.5), Optional.empty(), events));
        api.scaling.placements.put(HELLO, new Scheduler.Status(2, 1, Map.of("node-1", 1), 1, "no room",
                AdminApiFixture.T0));

        JsonNode n = json(api.get(P + "/functions/hello/scaling"));
        assertEquals(List.of("name", "namespace", "version", "config", "active", "leader", "desired", "rule", "reason",
                "decidedAt", "instances", "metrics", "idleSince", "decisions", "placement"), fields(n));
        assertEquals("metric", n.get("rule").asText());
        assertEquals("", n.get("idleSince").asText());
        assertEquals("{\"ready\":2,\"busy\":1,\"starting\":0,\"inFlight\":1,\"queued\":0,\"served\":40,\"cpu\":0.123,"
                + "\"memoryMb\":99.9,\"measured\":2}", n.get("instances").toString());
        assertEquals("busy", n.at("/decisions/0/reason").asText());
        assertEquals(List.of("at", "from", "to", "rule", "reason", "metrics"), fields(n.at("/decisions/0")));
        assertEquals("1m", n.at("/config/stable-window").asText());
        assertEquals("concurrency", n.at("/config/metrics/0/type").asText());
        assertEquals("{\"noCapacityEvents\":0,\"wanted\":2,\"placed\":1,\"shortfall\":1,\"perNode\":{\"node-1\":1},"
                + "\"reason\":\"no room\"}", n.get("placement").toString());
    }

    @Test
    void poolsAreListedAndResizedWithErrorsThatSayWhy() {
        api.node.pools.add(new PoolStatus("fake", 1, 1, 0, 64, 5, 2, "", 0));
        assertEquals("[{\"runtime\":\"fake\",\"size\":1,\"ready\":1,\"starting\":0,\"memoryMb\":64,\"hits\":5,"
                + "\"misses\":2,\"lastError\":\"\",\"retryInMs\":0}]", api.get(P + "/pools").body());
        HttpResponse<String> resized = api.send("PUT", P + "/pools/fake", "{\"size\": 3}");
        assertStatus(200, resized);
        assertEquals(3, json(resized).get("size").asInt());
        assertStatus(400, api.send("PUT", P + "/pools/fake", "{\"size\": \"many\"}"));
        assertStatus(400, api.send("PUT", P + "/pools/fake", "{\"size\": 99}"));
        assertStatus(400, api.send("PUT", P + "/pools/fake", "not json"));
        assertStatus(404, api.send("PUT", P + "/pools/cobol", "{\"size\": 1}"));
    }

    @Test
    void invocationsAndLogsComeFromTheStore() {
        InvocationRecord r = new InvocationRecord("inv-1", "default/hello", 1, AdminApiFixture.T0, 2.5, 200, true,
                "i-1", "", Map.of("exec", 2.0));
        api.store.record(r);
        api.store.log(new LogLine(AdminApiFixture.T0, "default/hello", 1, "inv-1", "i-1", "info", "hi"));

        JsonNode one = json(api.get(P + "/invocations/inv-1"));
        assertEquals(List.of("invocation", "logs", "node"), fields(one));
        assertEquals("inv-1", one.at("/invocation/id").asText());
        assertEquals("hi", one.at("/logs/0/text").asText());
        assertEquals(1, json(api.get(P + "/invocations?function=hello")).get("invocations").size());
        JsonNode logs = json(api.get(P + "/functions/hello/logs"));
        assertEquals(List.of("function", "logs"), fields(logs));
        assertEquals("default/hello", logs.get("function").asText());
        assertStatus(400, api.get(P + "/invocations?limit=0"));
        assertStatus(404, api.get(P + "/invocations/nope"));
    }

    @Test
    void runtimesClusterNodesAndMetrics() {
        assertEquals("{\"runtimes\":[{\"name\":\"fake\",\"image\":\"fake:1\",\"memory\":64,\"defaultHandler\":"
                + "\"index.handler\"}],\"problems\":{}}", api.get(P + "/runtimes").body());
        assertEquals("{\"region\":\"local\"}", api.get(P + "/cluster").body());
        String hex = "a".repeat(64);
        assertEquals("sha256:" + hex, json(api.get(P + "/nodes?package=" + hex)).at("/0/holding").asText());
        assertStatus(400, api.get(P + "/nodes?package=sha256:nothex"));
        HttpResponse<String> metrics = api.get("/metrics");
        assertEquals("nest_up 1\n", metrics.body());
        assertTrue(metrics.headers().firstValue("content-type").orElseThrow().startsWith("text/plain"));
    }

    @Test
    void unknownPathsAndMissingChunksAreJson404s() {
        HttpResponse<String> api404 = api.get(P + "/nothing");
        assertStatus(404, api404);
        assertEquals("no such endpoint", json(api404).get("error").asText());
        HttpResponse<String> other = api.send("DELETE", "/elsewhere", "");
        assertStatus(404, other);
        assertEquals("not found", json(other).get("error").asText());
        assertStatus(404, api.get(P + "/artifacts/chunks/" + "b".repeat(64)));
        assertStatus(404, api.get(P + "/artifacts/manifests/sha256:" + "b".repeat(64)));
    }
}
