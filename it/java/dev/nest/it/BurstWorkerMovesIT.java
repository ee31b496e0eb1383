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
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Burst workers that the steady need comes to cover move to pods of their own (ADR 0025, addendum *Burst workers that
 * the steady need covers*), on the process driver with the shipped defaults: a {@code deploy: auto} Node.js function
 * under one request at a time runs in a pod of its own; when the load rises to three at a time its extra instances
 * start as burst workers in the merged pod a quiet function of the namespace keeps running (the list shows
 * {@code placement: burst} and the pod), and once the node's steady need (p75 of its per-second readings) reaches three,
 * each worker gets a replacement in a pod of its own that serves before the worker drains. Every request carries a
 * number the function writes to a file of its own: 0 failed and 0 duplicated requests throughout.
 */
class BurstWorkerMovesIT {
    /** Clients once the load rises. */
    static final int CLIENTS = 3;

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .settings("sidecar:\n  max-pods: 32\n")
            .functions(dir -> Fixtures.nodeFunction(dir, "keeper", "deploy: merged\nmemory: 64\n",
                    "exports.handler = async () => ({ ok: true });\n"));
    static final Http http = node.http();
    static RunLedger ledger;

    @BeforeAll
    static void folder() throws IOException {
        ledger = RunLedger.create("nest-burst-moves-");
    }

    @AfterAll
    static void clean() throws IOException {
        if (ledger != null) {
            ledger.close();
        }
    }

    private static List<JsonNode> instances() {
        List<JsonNode> out = new ArrayList<>();
        http.get("/api/v1/functions/grows/instances").json().forEach(out::add);
        return out;
    }

    private static boolean ready(JsonNode i) {
        return i.path("state").asText().equals("READY");
    }

    private static String placement(JsonNode i) {
        return i.path("placement").asText();
    }

    @Test
    void burstWorkersTheSteadyNeedCoversMoveToPodsOfTheirOwnWithNoFailedOrDuplicatedRequest() throws Exception {
        http.deploy("grows", Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "30s", "memory", 64,
                        "scaling", Map.of("max", 12), "env", Map.of("RAN_DIR", ledger.dir().toString())),
                Fixtures.zip(Files.createDirectories(node.scratch()), Map.of("index.js", RunLedger.nodeHandler(200))));
        Poll.until("keeper deployed", Duration.ofMinutes(2), () -> http.get("/api/v1/functions/keeper").status(),
                st -> st == 200);
        assertEquals(200, http.get("/fn/keeper").status(), "a merged pod runs");
        String keeperPod = http.get("/api/v1/functions/keeper/instances").json().get(0).path("hostPod").asText();
        IntFunction<Http.Response> send = n -> http.get("/fn/grows?n=" + n);
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        clients.add(ledger.client(running, send));
        List<JsonNode> burst;
        List<JsonNode> moved;
        try {
            Poll.until("grows in a pod of its own", Duration.ofMinutes(2), BurstWorkerMovesIT::instances,
                    l -> l.size() == 1 && ready(l.get(0)) && placement(l.get(0)).equals("dedicated"));
            // 30 s of one request in flight: the node's steady need is one instance
            Thread.sleep(30_000);
            for (int k = 0; k < CLIENTS - 1; k++) {
                clients.add(ledger.client(running, send));
            }
            burst = Poll.until("burst workers beside the function's own pod", Duration.ofSeconds(30),
                    BurstWorkerMovesIT::instances, l -> l.stream().anyMatch(i -> ready(i) && placement(i).equals("burst")));
            assertTrue(burst.stream().filter(i -> placement(i).equals("burst"))
                    .allMatch(i -> i.path("merged").asBoolean() && i.path("hostPod").asText().equals(keeperPod)),
                    "burst workers run in the keeper's merged pod " + keeperPod + ": " + burst);
            // three at a time goes on: once a quarter of the node's readings are three, the steady need covers the
            // workers and each moves to a pod of its own (replacement first)
            moved = Poll.until("the burst workers moved to pods of their own", Duration.ofMinutes(2),
                    BurstWorkerMovesIT::instances, l -> l.stream().filter(i -> ready(i)
                            && placement(i).equals("dedicated")).count() >= CLIENTS
                            && l.stream().noneMatch(i -> placement(i).equals("burst")));
            int before = ledger.answered();
            Poll.until("requests served after the moves", ledger::answered, s -> s > before + 20);
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join();
            }
        }
        assertTrue(moved.stream().noneMatch(i -> i.path("merged").asBoolean()), moved::toString);
        ledger.assertEachRanOnce();
    }
}
