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
import java.util.stream.StreamSupport;
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
    static Path ran;

    @BeforeAll
    static void folder() throws IOException {
        // the pods may run under uids of their own (process driver as root): a folder anyone may write
        ran = Files.createTempDirectory("nest-burst-workers-");
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
        http.get("/api/v1/functions/burst/instances").json().forEach(out::add);
        return out;
    }

    private static boolean ready(JsonNode i) {
        return i.path("state").asText().equals("READY");
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
    void aBurstGetsMergedWorkersThatGoFirstWhenTheLoadDropsWithNoFailedOrDuplicatedRequest() throws Exception {
        http.deploy("burst", Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "30s", "memory", 64,
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
        AtomicInteger seq = new AtomicInteger();
        Map<Integer, Integer> answered = Collections.synchronizedMap(new HashMap<>());
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Runnable call = () -> {
            int n = seq.incrementAndGet();
            Http.Response r = http.get("/fn/burst?n=" + n);
            if (r.status() == 200 && r.json().path("n").asInt(-1) == n) {
                answered.merge(n, 1, Integer::sum);
            } else {
                failures.add("request " + n + ": " + r);
            }
        };
        AtomicBoolean steady = new AtomicBoolean(true);
        Thread steadyClient = Thread.ofVirtual().start(() -> {
            while (steady.get()) {
                call.run();
            }
        });
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
                burst.add(Thread.ofVirtual().start(() -> {
                    while (bursting.get()) {
                        call.run();
                    }
                }));
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
            int before = answered.size();
            Poll.until("requests served after the burst workers went", answered::size, s -> s > before + 10);
        } finally {
            steady.set(false);
            steadyClient.join();
        }
        assertEquals(List.of(), failures, "failed requests (" + failures.size() + " of " + seq.get() + ")");
        assertEquals(seq.get(), answered.size(), "every request answered once");
        Map<Integer, Integer> runs = Poll.until("a run recorded for every request", BurstWorkersIT::runs,
                r -> r.size() >= seq.get());
        List<String> duplicated = runs.entrySet().stream().filter(e -> e.getValue() != 1)
                .map(e -> "request " + e.getKey() + " ran " + e.getValue() + " times").toList();
        assertEquals(List.of(), duplicated, "duplicated requests");
        assertEquals(seq.get(), runs.size(), "runs recorded: " + runs.size() + " for " + seq.get() + " requests");
        JsonNode scaling = http.get("/api/v1/functions/burst/scaling").json();
        assertTrue(StreamSupport.stream(scaling.path("decisions").spliterator(), false)
                .anyMatch(e -> e.path("rule").asText().equals("burst-release")), scaling::toString);
    }
}
