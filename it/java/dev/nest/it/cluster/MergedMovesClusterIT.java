package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import dev.nest.it.RunLedger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy: auto} in a cluster (ADR 0025): two in-process nodes on one ZooKeeper server, the process driver. A
 * Node.js function starts in a merged pod; a client sending requests through both nodes' gateways makes its traffic
 * pass {@code sidecar.merge-below}, and it moves to a pod of its own; when the client stops it moves back into a
 * merged pod. Every request is numbered and the function records each number it runs in a file of its own (a
 * folder every pod may write), so the test counts both failed requests (any answer but 200) and duplicated ones (a
 * number that ran twice, e.g. on the old and the new placement): both must be 0.
 */
class MergedMovesClusterIT {
    /** Requests per minute at and above which an {@code auto} function leaves its merged pod (back under half). */
    private static final int MERGE_BELOW = 10;

    @TempDir
    static Path scratch;

    static InProcessCluster cluster;
    static List<NestServer> nodes;
    static final List<Http> gateways = new ArrayList<>();
    /** Where the function writes one empty file per request it ran: {@code <number>-<random>}. */
    static RunLedger ledger;

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        cluster = InProcessCluster.of("m", "it-merged", 37_000).zonesApart()
                .merged(new NestConfig.Merged(MERGE_BELOW, false, NestConfig.Merged.DEFAULT.hostMemoryMb(),
                        NestConfig.Merged.DEFAULT.allocationBudgetMb()))
                .start(scratch);
        nodes = cluster.nodes();
        for (NestServer n : nodes) {
            gateways.add(Http.of(n, nodes));
        }
        ledger = RunLedger.create("nest-merged-moves-");
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (ledger != null) {
            ledger.close();
        }
    }

    /** The instances of {@code fn} on every node (each node lists its own). */
    private static List<JsonNode> instances(String fn) {
        List<JsonNode> out = new ArrayList<>();
        for (Http g : gateways) {
            JsonNode list = g.get("/api/v1/functions/" + fn + "/instances").json();
            list.forEach(out::add);
        }
        return out;
    }

    private static boolean ready(JsonNode i) {
        return i.path("state").asText().equals("READY");
    }

    @Test
    void anAutoFunctionMovesToADedicatedPodUnderLoadAndBackWithNoFailedOrDuplicatedRequest() throws Exception {
        Http first = gateways.get(0);
        first.deploy("mover", Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "30s", "memory", 64,
                        "env", Map.of("RAN_DIR", ledger.dir().toString())),
                Fixtures.zip(scratch, Map.of("index.js", RunLedger.nodeHandler(0))));
        for (Http g : gateways) {
            Poll.until("the function on every node", () -> g.get("/api/v1/functions/mover").status(), s -> s == 200);
        }
        // each request through the gateway of node n % 2, so both nodes' gateways carry the load
        IntFunction<Http.Response> send = n -> gateways.get(n % gateways.size()).get("/fn/mover?n=" + n);
        ledger.call(send);
        List<JsonNode> quiet = Poll.until("a ready instance of mover", Duration.ofMinutes(1), () -> instances("mover"),
                l -> !l.isEmpty() && l.stream().allMatch(MergedMovesClusterIT::ready));
        assertTrue(quiet.stream().allMatch(i -> i.path("merged").asBoolean()), "quiet: merged, " + quiet);

        // traffic grows: two clients, through both nodes' gateways, far above MERGE_BELOW a minute
        AtomicBoolean load = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            clients.add(ledger.client(load, send));
        }
        try {
            Poll.until("mover in a pod of its own on some node", Duration.ofMinutes(2), () -> instances("mover"),
                    l -> l.stream().anyMatch(i -> !i.path("merged").asBoolean() && ready(i)));
            int before = ledger.answered();
            Poll.until("requests served after the move", ledger::answered, s -> s > before + 50);
        } finally {
            load.set(false);
            for (Thread t : clients) {
                t.join();
            }
        }
        int promotedAt = ledger.sent();

        // traffic falls to nothing: back into a merged pod (once the last minute holds under half of MERGE_BELOW)
        List<JsonNode> again = Poll.until("mover merged again on every node that runs it", Duration.ofMinutes(4),
                () -> instances("mover"), l -> !l.isEmpty() && l.stream().allMatch(i -> i.path("merged").asBoolean() && ready(i)));
        for (int k = 0; k < 4; k++) {
            ledger.call(send);
        }

        ledger.assertEachRanOnce();
        assertTrue(promotedAt > MERGE_BELOW, "the load sent " + promotedAt + " requests");
        assertTrue(again.stream().allMatch(i -> i.path("merged").asBoolean()), again::toString);
    }
}
