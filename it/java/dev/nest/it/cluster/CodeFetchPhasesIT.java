package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cold start on a node that lacks the function's code: two in-process nodes on one ZooKeeper server, the package
 * kept by one only ({@code cluster.artifact-replicas: 1}); the other fetches it from its holder over HTTP, and the
 * invocation record shows the fetch's three stages ({@code fetch}, {@code decompress}, {@code unpack}) between
 * pod acquisition and {@code load}. The package is large enough (several chunks) for the stages to overlap.
 */
class CodeFetchPhasesIT {
    @TempDir
    static Path scratch;

    static InProcessCluster cluster;
    static List<NestServer> nodes;

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        cluster = InProcessCluster.of("f", "it-fetch", 33_000).artifactReplicas(1).start(scratch);
        nodes = cluster.nodes();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aJavaFunctionsSourcesAreCompiledWhereverItsPackageIsFetched() {
        Http holder = Http.of(nodes.get(0), nodes);
        Http lacking = Http.of(nodes.get(1), nodes);
        Map<String, String> files = Map.of("Handler.java", """
                import java.util.Map;
                public class Handler {
                    public Map<String, Object> handle(Map<String, Object> event, dev.nest.fn.Context context) {
                        return Map.of("v", "compiled here");
                    }
                }
                """);
        holder.deploy("fetched-java", Map.of("runtime", "java", "deploy", "dedicated", "handler", "Handler", "timeout", "30s"),
                Fixtures.zip(scratch, files));
        Poll.until("the function on node f2", () -> lacking.get("/api/v1/functions/fetched-java").status(), s -> s == 200);
        // the package reached f2 as sources only (chunks carry what was uploaded); f2 compiles them as f1 did
        Http.Response r = lacking.send(lacking.request("/fn/fetched-java").header("X-Nest-Forwarded-By", "test").header("X-Nest-Cluster-Auth", Fixtures.PEER_AUTH).GET());
        assertEquals(200, r.status(), r::toString);
        assertEquals("compiled here", r.json().path("v").asText());
    }

    @Test
    void aColdStartThatFetchesTheCodeRecordsFetchDecompressAndUnpack() {
        Http holder = Http.of(nodes.get(0), nodes);
        Http lacking = Http.of(nodes.get(1), nodes);
        // 12 MiB of files: about three 4 MiB chunks
        StringBuilder filler = new StringBuilder();
        for (int i = 0; filler.length() < 1 << 20; i++) {
            filler.append("// line ").append(i).append(" of a generated module, to fill the package\n");
        }
        Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put("index.js", "exports.handler = async () => ({ v: 'fetched' });\n");
        for (int i = 0; i < 12; i++) {
            files.put("lib/module-" + i + ".js", filler + "module.exports = " + i + ";\n");
        }
        String digest = holder.upload("nodejs", Fixtures.zip(scratch, files));
        holder.deploy("fetched", Map.of("runtime", "nodejs", "deploy", "dedicated", "handler", "index.handler", "timeout", "30s"), digest);
        assertEquals(404, lacking.get("/api/v1/artifacts/manifests/" + digest).status(),
                "cluster.artifact-replicas 1: only the node that took the upload holds the package");
        Poll.until("the function on node f2", () -> lacking.get("/api/v1/functions/fetched").status(), s -> s == 200);

        // a forwarded request is served where it arrives: a cold start on the node without the code
        Http.Response r = lacking.send(lacking.request("/fn/fetched").header("X-Nest-Forwarded-By", "test").header("X-Nest-Cluster-Auth", Fixtures.PEER_AUTH).GET());
        assertEquals(200, r.status(), r::toString);
        assertEquals("fetched", r.json().path("v").asText());
        assertEquals(200, lacking.get("/api/v1/artifacts/manifests/" + digest).status(), "f2 keeps the fetched package");

        JsonNode inv = lacking.get("/api/v1/invocations/" + r.header("x-nest-invocation-id").orElseThrow()).json()
                .path("invocation");
        JsonNode phases = inv.path("phases");
        assertTrue(inv.path("cold").asBoolean(), "a cold start: " + inv);
        List<String> names = new ArrayList<>();
        phases.fieldNames().forEachRemaining(names::add);
        int fetch = names.indexOf("fetch");
        assertTrue(fetch > 0, "a fetch phase: " + phases);
        assertEquals(List.of("fetch", "decompress", "unpack", "load"), names.subList(fetch, fetch + 4),
                "the fetch's stages, in order, before load: " + phases);
        for (String p : List.of("fetch", "decompress", "unpack")) {
            assertTrue(phases.path(p).asDouble() > 0, p + " measured: " + phases);
            assertTrue(phases.path(p).asDouble() < inv.path("durationMs").asDouble(), p + " within the invocation: " + inv);
        }

        // the second request is warm and fetches nothing
        Http.Response again = lacking.send(lacking.request("/fn/fetched").header("X-Nest-Forwarded-By", "test").header("X-Nest-Cluster-Auth", Fixtures.PEER_AUTH).GET());
        JsonNode warm = lacking.get("/api/v1/invocations/" + again.header("x-nest-invocation-id").orElseThrow()).json()
                .path("invocation").path("phases");
        assertTrue(!warm.has("fetch") && !warm.has("unpack"), "a warm call has no fetch: " + warm);

        String metrics = lacking.get("/metrics").text();
        for (String p : List.of("fetch", "decompress", "unpack")) {
            assertTrue(metrics.contains("nest_cold_start_phase_seconds_count{function=\"default/fetched\",phase=\"" + p + "\"} 1"),
                    p + " in the per-phase histogram");
        }
    }
}
