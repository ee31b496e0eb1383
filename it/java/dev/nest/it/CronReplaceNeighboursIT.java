package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code concurrency: replace} around other work on one in-process node with real Node.js functions: a run that
 * still waits for an instance is withdrawn (it never starts, ends {@code cancelled}) without disturbing the request
 * that holds the instance; a run stopped on an instance it shares ({@code concurrency: 2}) does not fail its
 * neighbour, which gets its 200, while the stopped run never reaches its end; a run stopped in a merged Node.js pod
 * ({@code deploy: merged}) ends alone (its worker is unloaded with force): another function's request in flight in
 * the same pod gets its 200 and that function stays in its pod.
 */
class CronReplaceNeighboursIT {
    private static final String P = "/api/v1";
    static final Path MARKS = CronReplaceIT.markFile();

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(CronReplaceNeighboursIT::writeFunctions);
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        String mark = """
                const fs = require('fs');
                const mark = (what, id, tick) => {
                  const fd = fs.openSync(%s, 'a');
                  try { fs.writeSync(fd, what + ' ' + id + ' ' + tick + '\\n'); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
                };
                const sleep = ms => new Promise(r => setTimeout(r, ms));
                """.formatted(json(MARKS.toString()));
        // one instance serving one request at a time: a tick's run waits while the test's request holds it
        Fixtures.nodeFunction(functions, "waiter", """
                timeout: 60s
                concurrency: 1
                scaling:
                  max: 1
                queue:
                  timeout: 60s
                triggers:
                  - type: cron
                    name: every-2s
                    schedule: "*/2 * * * * *"
                    concurrency: replace
                """, mark + """
                exports.handler = async (event, context) => {
                  if (!event.body || event.body.length === 0) { // the test's request: holds the instance
                    await sleep(9000);
                    return { statusCode: 200, body: 'held' };
                  }
                  mark('waiter-start', context.invocationId, JSON.parse(event.body).time);
                  return { ok: true };
                };
                """);
        // one instance serving two requests at once: a tick's run and the test's request are neighbours
        Fixtures.nodeFunction(functions, "pair", """
                timeout: 60s
                concurrency: 2
                scaling:
                  max: 1
                triggers:
                  - type: cron
                    name: every-3s
                    schedule: "*/3 * * * * *"
                    concurrency: replace
                """, mark + """
                exports.handler = async (event, context) => {
                  if (!event.body || event.body.length === 0) { // the test's request: the neighbour
                    await sleep(5000);
                    return { statusCode: 200, body: 'neighbour ok' };
                  }
                  const tick = JSON.parse(event.body).time;
                  mark('pair-start', context.invocationId, tick);
                  await sleep(10000); // longer than the period: the next tick stops it
                  mark('pair-end', context.invocationId, tick);
                  return { ok: true };
                };
                """);
        // two merged functions of one namespace share a merged pod: a tick's run and another function's request
        Fixtures.nodeFunction(functions, "mrun", """
                deploy: merged
                memory: 64
                timeout: 60s
                triggers:
                  - type: cron
                    name: every-3s
                    schedule: "*/3 * * * * *"
                    concurrency: replace
                """, mark + """
                exports.handler = async (event, context) => {
                  const tick = JSON.parse(event.body).time;
                  mark('mrun-start', context.invocationId, tick);
                  await sleep(10000); // longer than the period: the next tick stops it
                  mark('mrun-end', context.invocationId, tick);
                  return { ok: true };
                };
                """);
        Fixtures.nodeFunction(functions, "mnear", """
                deploy: merged
                memory: 64
                timeout: 60s
                """, """
                const sleep = ms => new Promise(r => setTimeout(r, ms));
                exports.handler = async () => {
                  await sleep(5000);
                  return { statusCode: 200, body: 'neighbour ok' };
                };
                """);
    }

    private static String json(String s) {
        try {
            return Http.JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void removeMarks() throws IOException {
        Path out = MARKS.getParent();
        Files.deleteIfExists(MARKS);
        Files.deleteIfExists(out);
        Files.deleteIfExists(out.getParent());
    }

    static List<String[]> marks(String what) {
        try {
            return Files.readAllLines(MARKS, StandardCharsets.UTF_8).stream().map(l -> l.split(" "))
                    .filter(p -> p.length == 3 && p[0].equals(what)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> ids(String what) {
        Set<String> ids = new LinkedHashSet<>();
        marks(what).forEach(p -> ids.add(p[1]));
        return ids;
    }

    private static String lastInvocation(String function) {
        return http.get(P + "/functions/" + function + "/triggers").json().path("triggers").get(0).path("details")
                .path("lastInvocation").asText("");
    }

    @Test
    void aRunWaitingForAnInstanceIsWithdrawnWithoutDisturbingTheRequestHoldingIt() throws Exception {
        Poll.until("a first waiter run", Duration.ofSeconds(60), () -> marks("waiter-start"), m -> !m.isEmpty());
        CompletableFuture<Http.Response> holder = http.sendAsync(http.request("/fn/waiter").GET());
        Set<String> fired = new LinkedHashSet<>();
        while (!holder.isDone()) { // the ticks fired while the instance is held
            String id = lastInvocation("waiter");
            if (!id.isEmpty()) {
                fired.add(id);
            }
            Thread.sleep(200);
        }
        Http.Response held = holder.get(5, TimeUnit.SECONDS);
        assertEquals(200, held.status(), held.toString());
        assertEquals("held", held.text());
        Set<String> started = ids("waiter-start");
        List<String> withdrawn = fired.stream().filter(id -> !started.contains(id))
                .filter(id -> http.get(P + "/invocations/" + id).json().path("async").path("state").asText()
                        .equals("cancelled")).toList();
        assertFalse(withdrawn.isEmpty(), "a run that waited for the held instance was withdrawn by the next tick; "
                + "fired " + fired + ", started " + started);
        JsonNode a = http.get(P + "/invocations/" + withdrawn.getFirst()).json().path("async");
        assertTrue(a.path("lastError").asText().startsWith("cancelled"), a.toString());
        System.out.println("CronReplaceNeighboursIT: withdrawn while waiting: " + withdrawn);
    }

    @Test
    void theNeighbourOfAStoppedRunOnItsInstanceGetsIts200() throws Exception {
        String[] run = Poll.until("a pair run", Duration.ofSeconds(60), () -> marks("pair-start"), m -> !m.isEmpty())
                .getLast();
        Http.Response neighbour = http.send(http.request("/fn/pair").GET()); // 5 s; the next tick comes within 3 s
        assertEquals(200, neighbour.status(), neighbour.toString());
        assertEquals("neighbour ok", neighbour.text());
        JsonNode a = Poll.until("run " + run[1] + " cancelled", Duration.ofSeconds(30),
                () -> http.get(P + "/invocations/" + run[1]).json().path("async"),
                s -> s.path("state").asText().equals("cancelled"));
        assertTrue(a.path("lastError").asText().startsWith("cancelled"), a.toString());
        assertFalse(ids("pair-end").contains(run[1]), "the stopped run did not reach its end");
    }

    private static JsonNode readyInstance(String fn) {
        return Poll.until("a ready instance of " + fn, Duration.ofMinutes(2),
                () -> http.get(P + "/functions/" + fn + "/instances").json(),
                n -> n.size() >= 1 && n.get(0).path("state").asText().equals("READY")).get(0);
    }

    @Test
    void aRunStoppedInAMergedPodEndsAloneAndAnotherFunctionsRequestThereGetsIts200() throws Exception {
        Http.Response warm = http.send(http.request("/fn/mnear").GET());
        assertEquals(200, warm.status(), warm.toString());
        Poll.until("a first mrun run", Duration.ofSeconds(60), () -> marks("mrun-start"), m -> !m.isEmpty());
        String pod = readyInstance("mnear").path("hostPod").asText();
        assertTrue(readyInstance("mnear").path("merged").asBoolean(), "mnear is merged");
        assertEquals(pod, readyInstance("mrun").path("hostPod").asText(), "one merged pod holds both");
        int before = marks("mrun-start").size();
        String[] run = Poll.until("an mrun run after the warm-up", Duration.ofSeconds(30), () -> marks("mrun-start"),
                m -> m.size() > before).getLast();
        Http.Response neighbour = http.send(http.request("/fn/mnear").GET()); // 5 s; the next tick comes within 3 s
        assertEquals(200, neighbour.status(), neighbour.toString());
        assertEquals("neighbour ok", neighbour.text());
        JsonNode a = Poll.until("run " + run[1] + " cancelled", Duration.ofSeconds(30),
                () -> http.get(P + "/invocations/" + run[1]).json().path("async"),
                s -> s.path("state").asText().equals("cancelled"));
        assertTrue(a.path("lastError").asText().startsWith("cancelled"), a.toString());
        Thread.sleep(11_000); // past the end the stopped run would have reached
        assertFalse(ids("mrun-end").contains(run[1]), "the stopped run did not reach its end");
        assertEquals(pod, readyInstance("mnear").path("hostPod").asText(),
                "the neighbour stayed in its pod: the stopped run's worker ended alone");
    }
}
