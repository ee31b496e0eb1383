package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
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
    static Path ran;

    @BeforeAll
    static void folder() throws IOException {
        ran = Files.createTempDirectory("nest-burst-moves-");
        Files.setPosixFilePermissions(ran, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    @AfterAll
    static void clean() throws IOException {
        if (ran != null) {
            try (Stream<Path> files = Files.list(ran)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(ran);
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

    private static Map<Integer, Integer> runs() {
        Map<Integer, Integer> out = new HashMap<>();
        try (Stream<Path> files = Files.list(ran)) {
            files.forEach(f -> {
                String name = f.getFileName().toString();
                out.merge(Integer.parseInt(name.substring(0, name.indexOf('-'))), 1, Integer::sum);
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    @Test
    void burstWorkersTheSteadyNeedCoversMoveToPodsOfTheirOwnWithNoFailedOrDuplicatedRequest() throws Exception {
        http.deploy("grows", Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "30s", "memory", 64,
                        "scaling", Map.of("max", 12), "env", Map.of("RAN_DIR", ran.toString())),
                Fixtures.zip(Files.createDirectories(node.scratch()), Map.of("index.js", """
                        const fs = require('fs');
                        const crypto = require('crypto');
                        exports.handler = async (event) => {
                          const n = String(Number(event.query.n));
                          await new Promise(r => setTimeout(r, 200));
                          fs.writeFileSync(process.env.RAN_DIR + '/' + n + '-' + crypto.randomUUID(), '');
                          return { n: Number(n) };
                        };
                        """)));
        Poll.until("keeper deployed", Duration.ofMinutes(2), () -> http.get("/api/v1/functions/keeper").status(),
                st -> st == 200);
        assertEquals(200, http.get("/fn/keeper").status(), "a merged pod runs");
        String keeperPod = http.get("/api/v1/functions/keeper/instances").json().get(0).path("hostPod").asText();
        AtomicInteger seq = new AtomicInteger();
        Map<Integer, Integer> answered = Collections.synchronizedMap(new HashMap<>());
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Runnable call = () -> {
            int n = seq.incrementAndGet();
            Http.Response r = http.get("/fn/grows?n=" + n);
            if (r.status() == 200 && r.json().path("n").asInt(-1) == n) {
                answered.merge(n, 1, Integer::sum);
            } else {
                failures.add("request " + n + ": " + r);
            }
        };
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        clients.add(Thread.ofVirtual().start(() -> {
            while (running.get()) {
                call.run();
            }
        }));
        List<JsonNode> burst;
        List<JsonNode> moved;
        try {
            Poll.until("grows in a pod of its own", Duration.ofMinutes(2), BurstWorkerMovesIT::instances,
                    l -> l.size() == 1 && ready(l.get(0)) && placement(l.get(0)).equals("dedicated"));
            // 30 s of one request in flight: the node's steady need is one instance
            Thread.sleep(30_000);
            for (int k = 0; k < CLIENTS - 1; k++) {
                clients.add(Thread.ofVirtual().start(() -> {
                    while (running.get()) {
                        call.run();
                    }
                }));
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
            int before = answered.size();
            Poll.until("requests served after the moves", answered::size, s -> s > before + 20);
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join();
            }
        }
        assertTrue(moved.stream().noneMatch(i -> i.path("merged").asBoolean()), moved::toString);
        assertEquals(List.of(), failures, "failed requests (" + failures.size() + " of " + seq.get() + ")");
        assertEquals(seq.get(), answered.size(), "every request answered once");
        Map<Integer, Integer> runs = Poll.until("a run recorded for every request", BurstWorkerMovesIT::runs,
                r -> r.size() >= seq.get());
        List<String> duplicated = runs.entrySet().stream().filter(e -> e.getValue() != 1)
                .map(e -> "request " + e.getKey() + " ran " + e.getValue() + " times").toList();
        assertEquals(List.of(), duplicated, "duplicated requests");
        assertEquals(seq.get(), runs.size(), "runs recorded: " + runs.size() + " for " + seq.get() + " requests");
    }
}
