package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The autoscaler on a real node: the {@code scaling:} block of a function file reaches the scaler, the scaler
 * (this node leads) steers the node agent, and {@code GET /api/v1/functions/{name}/scaling} shows the effective
 * config, the metrics, the desired count and the decisions; a bad block is refused with its key, value and range.
 */
class ScalingIT {
    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(ScalingIT::writeFunctions);
    static final Http http = node.http();
    /** A 2-hour schedule window that opens 12 hours from now (Berlin time), so that it is never open during the test. */
    static final String CRON = "0 " + (java.time.ZonedDateTime.now(java.time.ZoneId.of("Europe/Berlin")).getHour() + 12) % 24
            + " * * MON-FRI";

    static void writeFunctions(Path functions) {
        Fixtures.nodeFunction(functions, "reserved", """
                deploy: dedicated
                scaling:
                  min: 2
                  max: 5
                  metrics: [{type: concurrency, target: 1}, {type: rps, target: 50}]
                  keep-alive-policy: fixed
                  schedule: [{cron: "%s", duration: 2h, min: 3, timezone: Europe/Berlin}]
                """.formatted(CRON), "exports.handler = async () => 'ok';\n");
        Fixtures.nodeFunction(functions, "called", "", "exports.handler = async () => 'called';\n");
        // burns about a third of a core per instance, from its first load, with no request needed
        // its pod's own CPU and memory are measured: a pod of its own (a merged one would report its worker's)
        Fixtures.nodeFunction(functions, "burner", """
                deploy: dedicated
                scaling:
                  min: 1
                  max: 2
                  metrics: [{type: cpu, target: 0.1}]
                """, """
                setInterval(() => { const end = Date.now() + 50; while (Date.now() < end) {} }, 100);
                exports.handler = async () => 'burning';
                """);
        Fixtures.nodeFunction(functions, "typo", "scaling:\n  utilization: 2\n  mni: 1\n", "exports.handler = async () => 'x';\n");
    }

    @Test
    void theMinimumIsKeptByTheScalerAndShownWithItsConfig() {
        JsonNode s = Poll.until("the scaler keeps min 2 of 'reserved'", () -> http.get("/api/v1/functions/reserved/scaling").json(),
                n -> n.path("instances").path("ready").asInt() >= 2);
        assertTrue(s.path("active").asBoolean(), s::toString);
        assertEquals(2, s.path("desired").asInt(), s::toString);
        assertEquals("min", s.path("rule").asText(), s::toString);
        JsonNode config = s.path("config");
        assertEquals(5, config.path("max").asInt(), s::toString);
        assertEquals("fixed", config.path("keep-alive-policy").asText(), s::toString);
        assertEquals("rps", config.path("metrics").get(1).path("type").asText(), s::toString);
        assertEquals("Europe/Berlin", config.path("schedule").get(0).path("timezone").asText(), s::toString);
        assertEquals("1m", config.path("stable-window").asText(), s::toString);
        JsonNode first = s.path("decisions").get(s.path("decisions").size() - 1);
        assertEquals(0, first.path("from").asInt(), s::toString);
        assertEquals(2, first.path("to").asInt(), s::toString);
        assertEquals(2, s.path("placement").path("placed").asInt(), s::toString);
        // the spec as stored and served carries the whole block
        JsonNode spec = http.get("/api/v1/functions/reserved").json().path("spec").path("scaling");
        assertEquals(CRON, spec.path("schedule").get(0).path("cron").asText(), spec::toString);
    }

    @Test
    void anInvokedFunctionKeepsItsInstanceAndTheDecisionSaysWhy() {
        assertEquals(200, http.get("/fn/called").status());
        JsonNode s = Poll.until("the scaler decides for 'called'", () -> http.get("/api/v1/functions/called/scaling").json(),
                n -> n.path("desired").asInt() == 1 && n.path("decisions").size() > 0
                        && n.path("instances").path("served").asLong() >= 1);
        assertTrue(s.path("metrics").has("concurrency.avg60s"), s::toString);
        assertTrue(s.path("instances").path("served").asLong() >= 1, s::toString);
        assertEquals(1, s.path("instances").path("ready").asInt(), s::toString);
    }

    @Test
    void aFunctionWithACpuTargetScalesUpOnTheCpuItsInstanceBurns() {
        // one instance at ~0.3 cores against 0.1 x 0.7 per instance: the scaler wants more, max 2
        JsonNode s = Poll.until("'burner' scales up on CPU", Duration.ofSeconds(40),
                () -> http.get("/api/v1/functions/burner/scaling").json(),
                n -> n.path("desired").asInt() == 2 && n.path("instances").path("ready").asInt() == 2);
        assertTrue(s.path("instances").path("measured").asInt() >= 1, s::toString);
        assertTrue(s.path("instances").path("cpu").asDouble() > 0.02, s::toString);
        assertTrue(s.path("instances").path("memoryMb").asDouble() > 5, s::toString);
        assertTrue(s.path("metrics").path("cpu.avg6s").asDouble() > 0.07, s::toString);
        boolean byCpu = false;
        for (JsonNode d : s.path("decisions")) {
            byCpu |= d.path("to").asInt() == 2 && d.path("reason").asText().contains("cpu");
        }
        assertTrue(byCpu, s::toString);
        // each instance's usage is on /metrics and in the instance list
        String metrics = http.get("/metrics").text();
        assertTrue(metrics.contains("nest_instance_cpu_cores{function=\"default/burner\""), metrics);
        assertTrue(metrics.contains("nest_instance_memory_bytes{function=\"default/burner\""), metrics);
        JsonNode instances = http.get("/api/v1/functions/burner/instances").json();
        assertTrue(instances.get(0).path("memoryBytes").asLong() > 1024 * 1024, instances::toString);
        // the leader's view of the cluster's load: on one node, its own agent, read without a report
        JsonNode load = http.get("/api/v1/cluster/load").json();
        assertEquals(2, load.path("functions").path("default/burner").path("ready").asInt(), load::toString);
        assertEquals(1, load.path("nodes").size(), load::toString);
    }

    @Test
    void aNodesLoadReportCountsOnTheLeaderAndABadOneIsRefusedWithTheReason() {
        Http.Response ok = http.postJson("/api/v1/cluster/load", java.util.Map.of("node", "elsewhere", "boot", "b1",
                "functions", java.util.List.of(java.util.Map.of("function", "default/ghost", "version", 1, "ready", 2))));
        assertEquals(204, ok.status(), ok::toString);
        JsonNode load = http.get("/api/v1/cluster/load").json();
        assertEquals(2, load.path("nodes").path("elsewhere").path("functions").get(0).path("ready").asInt(), load::toString);
        assertEquals(2, load.path("functions").path("default/ghost").path("ready").asInt(), load::toString);

        Http.Response negative = http.postJson("/api/v1/cluster/load", java.util.Map.of("node", "elsewhere", "boot", "b1",
                "functions", java.util.List.of(java.util.Map.of("function", "default/ghost", "ready", -1))));
        assertEquals(400, negative.status(), negative::toString);
        assertTrue(negative.text().contains("negative"), negative::toString);
        Http.Response noNode = http.postJson("/api/v1/cluster/load", java.util.Map.of("boot", "b1"));
        assertEquals(400, noNode.status(), noNode::toString);
        assertTrue(noNode.text().contains("'node'"), noNode::toString);
        Http.Response broken = http.post("/api/v1/cluster/load", "application/json", "{".getBytes());
        assertEquals(400, broken.status(), broken::toString);
    }

    @Test
    void aBadScalingBlockNamesTheKeyTheValueAndTheRange() {
        JsonNode f = Poll.until("the file problem of 'typo'", () -> http.get("/api/v1/functions/typo").json(),
                n -> n.path("status").asText().equals("error"));
        String error = f.path("error").asText();
        assertTrue(error.contains("key 'scaling.utilization': value '2' is not valid; allowed: a number from 0.1 to 1"), error);
        assertTrue(error.contains("key 'scaling.mni': unknown key"), error);
        assertEquals(404, http.get("/api/v1/functions/nothing/scaling").status());
    }
}
