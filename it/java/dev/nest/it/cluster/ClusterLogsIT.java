package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records and logs for the region: two in-process nodes on one ZooKeeper server; an invocation served by node l2
 * (its record, its log line, its trace id) is answered by node l1, and a follower on l1 ({@code /api/v1/logs?follow=true})
 * receives a line that l2 writes after it started following.
 */
class ClusterLogsIT {
    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";

    @TempDir
    static Path scratch;

    static InProcessCluster cluster;
    static List<NestServer> nodes;

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        cluster = InProcessCluster.of("l", "it-logs", 34_000).start(scratch);
        nodes = cluster.nodes();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Invokes on l2 itself (a forwarded request is served where it arrives). */
    private static Http.Response invokeOnL2(Http l2, String say) {
        return l2.send(l2.request("/fn/talker?say=" + say).header("X-Nest-Forwarded-By", "test")
                .header("X-Nest-Cluster-Auth", Fixtures.PEER_AUTH)
                .header("traceparent", "00-" + TRACE + "-b7ad6b7169203331-01").GET());
    }

    @Test
    void nodeL1AnswersForL2sInvocationLogsAndFollowsItsNewLines() throws Exception {
        Http l1 = Http.of(nodes.get(0), nodes);
        Http l2 = Http.of(nodes.get(1), nodes);
        l1.deploy("talker", Map.of("runtime", "nodejs", "handler", "index.handler", "timeout", "30s"),
                Fixtures.zip(scratch, Map.of("index.js", """
                        exports.handler = async (event, context) => {
                          console.log('said ' + event.query.say);
                          return { traceId: context.traceId };
                        };
                        """)));
        Poll.until("the function on node l2", () -> l2.get("/api/v1/functions/talker").status(), s -> s == 200);

        Http.Response first = invokeOnL2(l2, "first");
        assertEquals(200, first.status(), first::toString);
        assertEquals(TRACE, first.json().path("traceId").asText(), "the function's context has the caller's trace");
        String id = first.header("x-nest-invocation-id").orElseThrow();

        // l1 never served it: the record, its logs and the trace id come from l2
        JsonNode one = Poll.until("l2's invocation through l1", () -> l1.get("/api/v1/invocations/" + id),
                r -> r.status() == 200 && r.json().path("logs").size() > 0).json();
        assertEquals("l2", one.path("node").asText());
        assertEquals(TRACE, one.path("invocation").path("traceId").asText());
        assertEquals("said first", one.path("logs").get(0).path("text").asText());

        JsonNode list = l1.get("/api/v1/invocations?function=talker&status=ok&since=10m").json();
        assertFalse(list.path("partial").asBoolean(), list.toString());
        assertEquals(List.of(id), list.path("invocations").findValuesAsText("id"));
        assertEquals("l2", list.path("invocations").get(0).path("node").asText());
        JsonNode logs = l1.get("/api/v1/logs?function=talker").json();
        assertTrue(logs.path("logs").findValuesAsText("text").contains("said first"), logs.toString());
        assertEquals(400, l1.get("/api/v1/logs?function=talker&since=yesterday").status());

        // a follower on l1 receives what l2 writes from now on
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest follow = HttpRequest.newBuilder(URI.create(l1.base() + "/api/v1/logs?function=talker&follow=true"))
                .header("Authorization", "Bearer " + l1.token().orElseThrow()).GET().build();
        HttpResponse<InputStream> stream = client.send(follow, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertTrue(stream.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (Exception e) {
                lines.add("closed: " + e);
            }
        });
        assertEquals(": following", lines.poll(30, TimeUnit.SECONDS), "the stream opened");
        assertEquals(200, invokeOnL2(l2, "second").status());
        String data = null;
        String eventId = null;
        // the talker's own line; a host's lines (a pod stopping, say) may come first and are passed over
        for (String line; data == null && (line = lines.poll(60, TimeUnit.SECONDS)) != null; ) {
            if (line.startsWith("id: ")) {
                eventId = line.substring(4);
            } else if (line.startsWith("data: ") && line.contains("said ")) {
                data = line.substring(6);
            }
        }
        assertNotNull(data, "a followed line arrived");
        JsonNode event = Http.JSON.readTree(data);
        assertEquals("said second", event.path("line").asText());
        assertEquals("l2", event.path("node").asText());
        assertEquals("default/talker", event.path("function").asText());
        assertEquals("stdout", event.path("stream").asText());
        assertNotNull(eventId, "each event has an id");
        assertFalse(data.contains("said first"), "lines from before the follower started are not followed");
        stream.body().close();
        reader.interrupt();

        // the CLI follows through l1 too: nest fn logs talker -f
        Path home = Files.createDirectories(scratch.resolve("cli-home"));
        ProcessBuilder pb = new ProcessBuilder(Fixtures.javaBinary(), "-jar", Fixtures.nestJar().toString(), "fn", "logs",
                "talker", "-f", "--server", l1.base()).directory(home.toFile()).redirectErrorStream(true);
        List.of("NEST_SERVER", "NEST_TOKEN", "NEST_DATA").forEach(pb.environment()::remove);
        pb.environment().put("NEST_TOKEN", l1.token().orElseThrow());
        pb.environment().put("HOME", home.toString());
        pb.environment().put("XDG_CONFIG_HOME", home.toString());
        Process cli = pb.start();
        try {
            BlockingQueue<String> printed = new LinkedBlockingQueue<>();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        printed.add(line);
                    }
                } catch (Exception e) {
                    printed.add("closed: " + e);
                }
            });
            // the follower starts "from now": invoke until a line said after it started is printed
            String said = null;
            List<String> all = new ArrayList<>();
            for (int i = 0; i < 30 && said == null; i++) {
                assertEquals(200, invokeOnL2(l2, "cli" + i).status());
                for (String line; (line = printed.poll(2, TimeUnit.SECONDS)) != null; ) {
                    all.add(line);
                    if (line.contains("said cli")) {
                        said = line;
                        break;
                    }
                }
            }
            assertNotNull(said, "nest fn logs -f printed a new line; it printed: " + all);
            assertTrue(said.contains(" l2 "), "the line names its node: " + said);
            assertFalse(all.stream().anyMatch(l -> l.contains("said first")), "older lines are not followed: " + all);
        } finally {
            Fixtures.killTree(cli);
        }
    }
}
