package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Merged deployment on the process driver (ADR 0025): 200 Node.js functions with {@code deploy: merged} share a few
 * merged pods (16 functions each, the runtime's {@code max-functions}) and every one answers with its own name; a
 * function looping forever in a merged pod is terminated alone: it gets its host's 504, its neighbours in the same
 * pod answer throughout, and the same instance answers afterwards from a fresh worker. Java: a runaway's neighbours
 * move to a fresh merged pod, and a function allocating over {@code sidecar.merged-allocation-budget} moves to a pod
 * of its own, each with no failed request; a merged Java instance's own CPU and allocation show in the instance list.
 */
class MergedDeployIT {
    static final int FUNCTIONS = 200;

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .settings("sidecar:\n  max-pods: 64\n  merge-below: 20\n")
            .functions(MergedDeployIT::writeFunctions);
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        String js = """
                let calls = 0;
                exports.handler = async (event, context) => {
                  if (event.query.spin) for (;;) {}
                  calls++;
                  return { name: context.functionName, calls };
                };
                """;
        for (int k = 0; k < FUNCTIONS; k++) {
            Fixtures.nodeFunction(functions, name(k), "deploy: merged\nmemory: 64\n", js);
        }
        Fixtures.nodeFunction(functions, "spins", "deploy: merged\nmemory: 64\ntimeout: 2s\n", js);
        Fixtures.nodeFunction(functions, "busy", "memory: 64\n", js); // deploy: auto
        javaFunction(functions, "jcalm", "calm");
        javaFunction(functions, "jrunaway", "runaway");
        // allocates about 250 MiB/s for 20 s on ?churn (one request: its traffic stays low); namespace javab: a pod
        // of its own until it moves
        Fixtures.write(functions, "jhungry/Handler.java", """
                import dev.nest.fn.Context;
                import java.util.Map;

                public class Handler {
                    static volatile int sink;

                    public Object handle(Map<String, Object> event, Context context) throws InterruptedException {
                        if (((Map<?, ?>) event.get("query")).containsKey("churn")) {
                            long end = System.nanoTime() + 20_000_000_000L;
                            while (System.nanoTime() < end) {
                                byte[] b = new byte[1 << 20];
                                sink += b.length;
                                Thread.sleep(4);
                            }
                        }
                        return Map.of("name", context.functionName());
                    }
                }
                """);
        Fixtures.write(functions, "jhungry.yaml", "name: jhungry\nnamespace: javab\nruntime: java\ncode: jhungry"
                + "\nhandler: Handler\nmemory: 128\ntimeout: 40s\ndeploy: merged\n");
    }

    /** A merged Java function in namespace {@code java} (so that its pod holds only these two). */
    private static void javaFunction(Path functions, String name, String what) {
        Fixtures.write(functions, name + "/Handler.java", """
                import dev.nest.fn.Context;
                import java.util.Map;

                public class Handler {
                    public Object handle(Map<String, Object> event, Context context) {
                        if (((Map<?, ?>) event.get("query")).containsKey("spin")) {
                            while (true) Thread.interrupted(); // ignores its interruption, forever
                        }
                        return Map.of("name", context.functionName());
                    }
                }
                """);
        Fixtures.write(functions, name + ".yaml", "name: " + name + "\nnamespace: java\nruntime: java\ncode: " + name
                + "\nhandler: Handler\nmemory: 128\ntimeout: 800ms\ndeploy: merged\n");
    }

    static String name(int k) {
        return "f%03d".formatted(k);
    }

    private static Http.Response invoke(String fn) {
        return http.get("/fn/" + fn);
    }

    private static void awaitDeployed(String fn) {
        Poll.until(fn + " deployed", java.time.Duration.ofMinutes(3), () -> http.get("/api/v1/functions/" + fn).status(),
                s -> s == 200);
    }

    @Test
    void twoHundredMergedFunctionsShareAFewPodsAndEveryOneAnswers() throws Exception {
        awaitDeployed(name(FUNCTIONS - 1));
        List<Future<Http.Response>> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int k = 0; k < FUNCTIONS; k++) {
                String fn = name(k);
                answers.add(pool.submit(() -> invoke(fn)));
            }
            for (int k = 0; k < FUNCTIONS; k++) {
                Http.Response r = answers.get(k).get();
                assertEquals(200, r.status(), r::toString);
                assertEquals("default/" + name(k), r.json().path("name").asText(), r::toString);
            }
        }
        JsonNode instances = http.get("/api/v1/instances").json();
        Set<String> pods = new HashSet<>();
        int merged = 0;
        for (JsonNode i : instances) {
            if (i.path("function").asText().matches("default/f\\d{3}")) {
                assertTrue(i.path("merged").asBoolean(), i::toString);
                pods.add(i.path("hostPod").asText());
                merged++;
            }
        }
        assertEquals(FUNCTIONS, merged, instances::toString);
        int most = (FUNCTIONS + 15) / 16;
        assertTrue(pods.size() <= most, pods.size() + " merged pods for " + FUNCTIONS + " functions: " + pods);
        String metrics = http.get("/metrics").text();
        assertTrue(metrics.contains("nest_merged_instances{function=\"default/f000\""), metrics);
    }

    @Test
    void aFunctionLoopingForeverIsTerminatedAloneWhileItsNeighboursAnswer() throws Exception {
        awaitDeployed("spins");
        awaitDeployed(name(FUNCTIONS - 1));
        assertEquals(200, invoke("spins").status());
        String pod = hostPod("spins");
        // its neighbours: the functions started right after it share its pod
        List<String> neighbours = new ArrayList<>();
        for (int k = 0; k < FUNCTIONS && neighbours.size() < 4; k++) {
            assertEquals(200, invoke(name(k)).status());
            if (hostPod(name(k)).equals(pod)) {
                neighbours.add(name(k));
            }
        }
        assertTrue(!neighbours.isEmpty(), "no function shares the pod " + pod);
        String before = instanceId("spins");
        CompletableFuture<Http.Response> spinning = http.sendAsync(http.request("/fn/spins?spin=1"));
        int answered = 0;
        while (!spinning.isDone() || answered < 20) {
            for (String n : neighbours) {
                Http.Response r = invoke(n);
                assertEquals(200, r.status(), () -> "neighbour " + n + " while spins loops: " + r);
                answered++;
            }
        }
        Http.Response r = spinning.get();
        assertEquals(504, r.status(), r::toString);
        Http.Response next = invoke("spins");
        assertEquals(200, next.status(), next::toString);
        assertEquals(1, next.json().path("calls").asInt(), "a fresh worker: " + next);
        assertEquals(before, instanceId("spins"), "the instance stays; only its worker was replaced");
        assertEquals(pod, hostPod("spins"));
    }

    @Test
    void anAutoFunctionMovesToItsOwnPodUnderLoadAndBackWhenIdleWithoutAFailedRequest() throws Exception {
        awaitDeployed("busy");
        assertEquals(200, invoke("busy").status());
        assertTrue(instance("busy").path("merged").asBoolean(), "quiet: merged");
        java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean load = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread client = Thread.ofVirtual().start(() -> {
            while (load.get()) {
                Http.Response r = invoke("busy");
                if (r.status() == 200) {
                    served.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                    failures.add(r.toString());
                }
            }
        });
        try {
            Poll.until("busy in a pod of its own", java.time.Duration.ofMinutes(1),
                    () -> http.get("/api/v1/functions/busy/instances").json(),
                    n -> n.size() == 1 && !n.get(0).path("merged").asBoolean()
                            && n.get(0).path("state").asText().equals("READY"));
            int before = served.get();
            Poll.until("requests served by the dedicated instance", () -> served.get(), s -> s > before + 20);
        } finally {
            load.set(false);
            client.join();
        }
        assertEquals(0, failed.get(), () -> "failed while moving: " + failures);
        Poll.until("busy merged again when idle", java.time.Duration.ofMinutes(3),
                () -> http.get("/api/v1/functions/busy/instances").json(),
                // every instance back in a merged pod (the scaler may still keep more than one until it scales down)
                n -> n.size() >= 1 && java.util.stream.StreamSupport.stream(n.spliterator(), false).allMatch(i ->
                        i.path("merged").asBoolean() && i.path("state").asText().equals("READY")));
        assertEquals(200, invoke("busy").status());
    }

    @Test
    void aJavaRunawayMovesItsNeighboursToAFreshPodWithoutAFailedRequestThenTheOldPodGoes() throws Exception {
        Poll.until("java functions deployed", java.time.Duration.ofMinutes(3),
                () -> http.get("/api/v1/functions/jrunaway?namespace=java").status(), s -> s == 200);
        assertEquals(200, http.get("/ns/java/fn/jcalm").status());
        assertEquals(200, http.get("/ns/java/fn/jrunaway").status());
        String pod = javaInstance("jcalm").path("hostPod").asText();
        assertEquals(pod, javaInstance("jrunaway").path("hostPod").asText(), "one merged pod");
        java.util.concurrent.atomic.AtomicBoolean load = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        Thread client = Thread.ofVirtual().start(() -> {
            while (load.get()) {
                Http.Response r = http.get("/ns/java/fn/jcalm");
                if (r.status() == 200) {
                    served.incrementAndGet();
                } else {
                    failures.add(r.toString());
                }
            }
        });
        try {
            Http.Response r = http.get("/ns/java/fn/jrunaway?spin=1");
            assertEquals(504, r.status(), r::toString);
            Poll.until("jcalm in a fresh merged pod", () -> javaInstance("jcalm").path("hostPod").asText(),
                    p -> !p.equals(pod));
            Poll.until("the old merged pod gone", () -> http.get("/api/v1/instances").json(),
                    all -> { for (JsonNode i : all) { if (i.path("hostPod").asText().equals(pod)) return false; } return true; });
            int before = served.get();
            Poll.until("jcalm serving from its new pod", served::get, n -> n > before + 10);
        } finally {
            load.set(false);
            client.join();
        }
        assertEquals(List.of(), failures, "no neighbour request failed");
        assertEquals(200, http.get("/ns/java/fn/jrunaway").status(), "the runaway's function starts again");
    }

    @Test
    void aJavaFunctionOverItsAllocationBudgetMovesToAPodOfItsOwnWithoutAFailedRequest() throws Exception {
        Poll.until("jhungry deployed", java.time.Duration.ofMinutes(3),
                () -> http.get("/api/v1/functions/jhungry?namespace=javab").status(), s -> s == 200);
        assertEquals(200, http.get("/ns/javab/fn/jhungry").status());
        JsonNode first = instanceIn("javab", "jhungry");
        assertTrue(first.path("merged").asBoolean(), first::toString);
        String pod = first.path("hostPod").asText();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean load = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        // a few requests a minute besides the churn: under merge-below, so only the allocation moves it
        Thread client = Thread.ofVirtual().start(() -> {
            while (load.get()) {
                Http.Response r = http.get("/ns/javab/fn/jhungry");
                if (r.status() == 200) {
                    served.incrementAndGet();
                } else {
                    failures.add(r.toString());
                }
                try {
                    Thread.sleep(4_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        // its own CPU and allocation show in the instance list while it is merged (read before the churn: over the
        // budget, the move follows the reading within one pass of the agent, too fast to observe from outside)
        JsonNode measured = Poll.until("jhungry's allocation measured in its merged pod",
                java.time.Duration.ofSeconds(30), () -> http.get("/api/v1/functions/jhungry/instances?namespace=javab").json(),
                n -> java.util.stream.StreamSupport.stream(n.spliterator(), false).anyMatch(i ->
                        i.path("merged").asBoolean() && i.path("allocationBytesPerSecond").asDouble() >= 0));
        JsonNode inPod = java.util.stream.StreamSupport.stream(measured.spliterator(), false)
                .filter(i -> i.path("merged").asBoolean()).findFirst().orElseThrow();
        assertTrue(inPod.path("cpuCores").asDouble() >= 0, "its own CPU: " + inPod);
        assertEquals(-1, inPod.path("memoryBytes").asLong(), "no heap of its own in a shared JVM: " + inPod);
        CompletableFuture<Http.Response> churn = http.sendAsync(http.request("/ns/javab/fn/jhungry?churn=1"));
        try {
            // every instance in a pod of its own (the scaler may have started a second one while the churn held the
            // first; it moves out as well)
            Poll.until("jhungry in a pod of its own", java.time.Duration.ofMinutes(1),
                    () -> http.get("/api/v1/functions/jhungry/instances?namespace=javab").json(),
                    n -> n.size() >= 1 && java.util.stream.StreamSupport.stream(n.spliterator(), false).allMatch(i ->
                            !i.path("merged").asBoolean() && i.path("state").asText().equals("READY")));
            Http.Response churned = churn.get();
            assertEquals(200, churned.status(), "the request in flight ends where it ran: " + churned);
            int before = served.get();
            Poll.until("jhungry serving from its own pod", served::get, n -> n > before);
        } finally {
            load.set(false);
            client.interrupt();
            client.join();
        }
        assertEquals(List.of(), failures, "no request failed while it moved");
        Poll.until("its merged pod gone with it", () -> http.get("/api/v1/instances").json(),
                all -> { for (JsonNode i : all) { if (i.path("hostPod").asText().equals(pod)) return false; } return true; });
        assertTrue(http.get("/metrics").text().contains("nest_instance_allocation_bytes_per_second"));
    }

    private static JsonNode instanceIn(String namespace, String fn) {
        return Poll.until("a ready instance of " + namespace + "/" + fn,
                () -> http.get("/api/v1/functions/" + fn + "/instances?namespace=" + namespace).json(),
                n -> n.size() == 1 && n.get(0).path("state").asText().equals("READY")).get(0);
    }

    private static JsonNode javaInstance(String fn) {
        return Poll.until("a ready instance of java/" + fn,
                () -> http.get("/api/v1/functions/" + fn + "/instances?namespace=java").json(),
                n -> n.size() == 1 && n.get(0).path("state").asText().equals("READY")).get(0);
    }

    private static JsonNode instance(String fn) {
        return Poll.until("a ready instance of " + fn, () -> http.get("/api/v1/functions/" + fn + "/instances").json(),
                n -> n.size() == 1 && n.get(0).path("state").asText().equals("READY")).get(0);
    }

    private static String hostPod(String fn) {
        return instance(fn).path("hostPod").asText();
    }

    private static String instanceId(String fn) {
        return instance(fn).path("id").asText();
    }
}
