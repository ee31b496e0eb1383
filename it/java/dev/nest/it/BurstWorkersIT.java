package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.StreamSupport;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Burst workers on the process driver (ADR 0025, addendum *Burst instances as merged workers*), with the shipped
 * defaults ({@code sidecar.burst-workers: 75}, {@code cluster.burst-release: 30s}): a {@code deploy: auto} Node.js
 * function under a steady load of one request at a time runs in a pod of its own; a short burst of several requests
 * at once gets its extra instances as workers in a merged pod, and once the load is back to one at a time the scaler's
 * burst release stops those workers first, leaving the function's own pod. Every request carries a number the function
 * writes to a file of its own, so the test counts executions: 0 failed and 0 duplicated requests throughout.
 */
class BurstWorkersIT {
    /** Clients during the burst. */
    static final int BURST = 6;

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .settings("sidecar:\n  max-pods: 32\n")
            // a quiet function of the same namespace keeps a merged pod running, as on a node with a long tail: the
            // burst's workers join it in milliseconds, so the burst is short next to the minute of steady load
            .functions(dir -> Fixtures.nodeFunction(dir, "keeper", "deploy: merged\nmemory: 64\n",
                    "exports.handler = async () => ({ ok: true });\n"));
    static final Http http = node.http();
    static RunLedger ledger;

    @BeforeAll
    static void folder() throws IOException {
        ledger = RunLedger.create("nest-burst-workers-");
    }

    @AfterAll
    static void clean() throws IOException {
        if (ledger != null) {
            ledger.close();
        }
    }

    private static List<JsonNode> instances() {
        List<JsonNode> out = new ArrayList<>();
        http.get("/api/v1/functions/burst/instances").json().forEach(out::add);
        return out;
    }

    private static boolean ready(JsonNode i) {
        return i.path("state").asText().equals("READY");
    }

    @Test
    void aBurstGetsMergedWorkersThatGoFirstWhenTheLoadDropsWithNoFailedOrDuplicatedRequest() throws Exception {
        http.deploy("burst", Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "30s", "memory", 64,
                        "scaling", Map.of("max", 12), "env", Map.of("RAN_DIR", ledger.dir().toString())),
                Fixtures.zip(Files.createDirectories(node.scratch()), Map.of("index.js", RunLedger.nodeHandler(200))));
        Poll.until("keeper deployed", Duration.ofMinutes(2), () -> http.get("/api/v1/functions/keeper").status(),
                st -> st == 200);
        assertEquals(200, http.get("/fn/keeper").status(), "a merged pod runs");
        IntFunction<Http.Response> send = n -> http.get("/fn/burst?n=" + n);
        AtomicBoolean steady = new AtomicBoolean(true);
        Thread steadyClient = ledger.client(steady, send);
        try {
            // one request at a time, about 5 a second: far above merge-below, so the function runs in a pod of its own
            Poll.until("burst in a pod of its own", Duration.ofMinutes(2), BurstWorkersIT::instances,
                    l -> l.size() == 1 && ready(l.get(0)) && !l.get(0).path("merged").asBoolean());
            // 90 s of one request in flight: the node's steady need (p75 of its per-second readings) is 1, and the
            // scaler's (p95 over the same seconds) as well while the burst lasts under 5% of them
            Thread.sleep(90_000);

            // the burst: BURST clients at once for a few seconds
            AtomicBoolean bursting = new AtomicBoolean(true);
            List<Thread> burst = new ArrayList<>();
            for (int k = 0; k < BURST - 1; k++) {
                burst.add(ledger.client(bursting, send));
            }
            List<JsonNode> during;
            try {
                during = Poll.until("burst workers in a merged pod beside the function's own pod", Duration.ofSeconds(30),
                        BurstWorkersIT::instances, l -> l.stream().filter(i -> ready(i) && i.path("merged").asBoolean())
                                .count() >= 2 && l.stream().anyMatch(i -> ready(i) && !i.path("merged").asBoolean()));
            } finally {
                bursting.set(false);
                for (Thread t : burst) {
                    t.join();
                }
            }
            String pod = during.stream().filter(i -> !i.path("merged").asBoolean()).findFirst().orElseThrow()
                    .path("id").asText();
            String keeperPod = http.get("/api/v1/functions/keeper/instances").json().get(0).path("hostPod").asText();
            assertTrue(during.stream().filter(i -> i.path("merged").asBoolean())
                    .allMatch(i -> i.path("hostPod").asText().equals(keeperPod)), "the burst workers joined the running "
                    + "merged pod " + keeperPod + ": " + during);

            // back to one request at a time: the scaler's burst release lowers the target once its 60 s window no
            // longer holds the burst's peak and 30 s passed; the burst workers are stopped first
            List<JsonNode> after = Poll.until("only the function's own pod left", Duration.ofMinutes(6),
                    BurstWorkersIT::instances, l -> l.size() == 1 && ready(l.get(0)));
            assertTrue(!after.get(0).path("merged").asBoolean(), "the pod of its own stays, not a worker: " + after);
            assertEquals(pod, after.get(0).path("id").asText(), "the instance that carried the steady load stays");
            int before = ledger.answered();
            Poll.until("requests served after the burst workers went", ledger::answered, s -> s > before + 10);
        } finally {
            steady.set(false);
            steadyClient.join();
        }
        ledger.assertEachRanOnce();
        JsonNode scaling = http.get("/api/v1/functions/burst/scaling").json();
        assertTrue(StreamSupport.stream(scaling.path("decisions").spliterator(), false)
                .anyMatch(e -> e.path("rule").asText().equals("burst-release")), scaling::toString);
    }
}
