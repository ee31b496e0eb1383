package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stopping a forwarded run on two Nest processes sharing one ZooKeeper (the path {@code concurrency: replace} takes
 * when the previous run was forwarded, or was fired by a previous leader): node r2 has no instance of the function and
 * forwards an invocation to r1's warm one under the same invocation id; a stop asked of r2 reaches r1 through the
 * peer stop route, r1 answers the call 409, which reaches the client through r2, and the function never reaches its
 * end. Hostile calls to the route: no or a forged credential (401), unknown ids (404), a replay (404, nothing done).
 */
class CronReplaceClusterIT {
    private static final String REGION = "it-replace";
    static Path scratch;
    static TestingServer zookeeper;
    static final List<NestProcess> nodes = new ArrayList<>();
    static Path marks;

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        scratch = Files.createDirectories(Fixtures.projectRoot().resolve("target/it-replace/" + System.currentTimeMillis()));
        zookeeper = new TestingServer(true);
        String[][] layout = {{"r1", "127.0.0.1"}, {"r2", "127.0.0.2"}};
        for (int i = 0; i < layout.length; i++) {
            int from = 37_000 + i * 1_000;
            nodes.add(NestProcess.start(layout[i][0], layout[i][1], Fixtures.freePort(layout[i][1]), "zone-a", REGION,
                    zookeeper.getConnectString(), from + "-" + (from + 999), scratch.resolve(layout[i][0])));
        }
        marks = CronIT.tickFile();
    }

    @AfterAll
    static void stop() throws IOException {
        for (NestProcess n : nodes) {
            n.close();
        }
        if (zookeeper != null) {
            zookeeper.close();
        }
        if (marks != null) {
            Path out = marks.getParent();
            Files.deleteIfExists(marks);
            Files.deleteIfExists(out);
            Files.deleteIfExists(out.getParent());
        }
    }

    static List<String> marks(String what) {
        try {
            return Files.readAllLines(marks, StandardCharsets.UTF_8).stream().map(l -> l.split(" "))
                    .filter(p -> p.length == 2 && p[0].equals(what)).map(p -> p[1]).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aStopAskedOfTheForwardingNodeStopsTheRunOnThePeerServingIt() throws Exception {
        NestProcess r1 = nodes.get(0);
        NestProcess r2 = nodes.get(1);
        String js = """
                const fs = require('fs');
                const mark = (what, id) => {
                  const fd = fs.openSync(%s, 'a');
                  try { fs.writeSync(fd, what + ' ' + id + '\\n'); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
                };
                exports.handler = async (event, context) => {
                  if (!event.body || event.body.length === 0) { return { v: 'warm' }; }
                  mark('start', context.invocationId);
                  await new Promise(r => setTimeout(r, 8000));
                  mark('end', context.invocationId);
                  return { v: 'done' };
                };
                """.formatted(Http.JSON.writeValueAsString(marks.toString()));
        String digest = r1.http.upload("nodejs", Fixtures.zip(scratch, Map.of("index.js", js)));
        Http.Response deployed = r1.http.deploy("slow", Map.of("runtime", "nodejs", "handler", "index.handler",
                "timeout", "30s"), digest);
        assertTrue(deployed.status() / 100 == 2, deployed.toString());
        Poll.until("slow known on r2", () -> r2.http.get("/api/v1/functions/slow").status(), s -> s == 200);
        assertEquals(200, r1.http.get("/fn/slow").status(), "warm on r1");
        Poll.until("r1's instance of slow in r2's routing table", Duration.ofSeconds(30),
                () -> ClusterIT.readyNodes(r2, "default/slow"), s -> s.contains("r1"));

        CompletableFuture<Http.Response> call = r2.http.sendAsync(r2.http.request("/fn/slow")
                .POST(HttpRequest.BodyPublishers.ofString("work")));
        String id = Poll.until("the run started", Duration.ofSeconds(30), () -> marks("start"), m -> !m.isEmpty())
                .getFirst();
        assertEquals(0, r2.http.get("/api/v1/instances").json().size(), "r2 forwarded instead of starting one; log: "
                + r2.logTail());

        // hostile: without a credential, with a forged one, an id no node holds
        Http anonymous = r1.http.anonymous();
        assertEquals(401, anonymous.post("/api/v1/invocations/" + id + "/stop", "application/json", new byte[0])
                .status());
        assertEquals(401, anonymous.send(anonymous.request("/api/v1/invocations/" + id + "/stop")
                .header("X-Nest-Cluster-Auth", "forged").POST(HttpRequest.BodyPublishers.noBody())).status());
        assertEquals(404, r1.http.postJson("/api/v1/invocations/00000000000000000000/stop", Map.of()).status());
        assertFalse(call.isDone(), "the run goes on after refused stops");

        Http.Response stopped = r2.http.postJson("/api/v1/invocations/" + id + "/stop",
                Map.of("reason", "replaced by a newer tick"));
        assertEquals(200, stopped.status(), stopped + "; r1 log: " + r1.logTail() + "; r2 log: " + r2.logTail());
        assertEquals("stopped", stopped.json().path("outcome").asText(), stopped.toString());
        Http.Response answer = call.get(30, TimeUnit.SECONDS);
        assertEquals(409, answer.status(), answer.toString());
        assertEquals("invocation stopped", answer.json().path("error").asText(), answer.toString());
        assertEquals(id, answer.header("x-nest-invocation-id").orElseThrow(), "served under the forwarding node's id");

        // replayed: nothing runs under that id any more, on either node
        assertEquals(404, r2.http.postJson("/api/v1/invocations/" + id + "/stop", Map.of()).status());
        assertEquals(404, r1.http.postJson("/api/v1/invocations/" + id + "/stop", Map.of()).status());
        Thread.sleep(9_000); // past the function's own end (8 s): a run that was not stopped would have marked it
        assertEquals(List.of(), marks("end"), "the stopped run did not reach its end");
    }
}
