package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.NestServer;
import dev.nest.cluster.Cluster;
import dev.nest.cluster.NodeInfo;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The package format gate on a real ZooKeeper: two nodes of this release write uploads as {@code nest-chunks/2} and
 * the other node fetches such a package; while a node that advertises format 1 only is registered (an older
 * release's registration, written with the cluster's credential), uploads fall back to {@code nest-chunks/1} and a
 * format-2 manifest upload is refused with 409 naming the format; once format 2 is in use it stays (the ratchet) when
 * that node registers again.
 */
class PackageFormatClusterIT {
    private static final String REGION = "it-format";

    @TempDir
    static Path scratch;

    static InProcessCluster cluster;
    static List<NestServer> nodes;

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        cluster = InProcessCluster.of("p", REGION, 34_000).secret(Fixtures.CLUSTER_SECRET).start(scratch);
        nodes = cluster.nodes();
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * A registration as a node of the release before format 2 writes it: no package-formats label. Its port accepts
     * connections (the leader's node probe would evict a node whose port refuses them).
     */
    private static Cluster olderNode(java.net.ServerSocket port) {
        NodeInfo self = new NodeInfo("older", "127.0.0.1", port.getLocalPort(), "zone-a", REGION, "process", Instant.now(),
                Map.of(NodeInfo.SCHEME, "http"));
        return Cluster.start(cluster.connectString(), cluster.settings(), self, Clock.systemUTC());
    }

    /** A package of one large text file (lz4 under format 2) and small files (zstd); {@code salt} makes it new. */
    private static byte[] zip(String salt) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("index.js", "exports.handler = async () => ({ v: '" + salt + "' });\n");
        files.put("bundle.js", ("// " + salt + "\n" + "function f(a, b) { return a + b; }\n".repeat(150_000)));
        return Fixtures.zip(scratch, files);
    }

    private static String format(Http node, String digest) {
        Http.Response m = node.get("/api/v1/artifacts/manifests/" + digest);
        assertEquals(200, m.status(), m::toString);
        return m.json().path("format").asText();
    }

    private static int registered(Http node) {
        return node.get("/api/v1/nodes").json().size();
    }

    @Test
    void twoNodesWriteFormat2AndANodeReadingOnlyFormat1MakesUploadsFallBack() throws Exception {
        Http p1 = Http.of(nodes.get(0), nodes);
        Http p2 = Http.of(nodes.get(1), nodes);
        Poll.until("both nodes registered", () -> registered(p1), n -> n == 2);

        // an older node is live: uploads are written as format 1, and a format-2 manifest is refused by name
        java.net.ServerSocket port = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Cluster older = olderNode(port);
        try {
            Poll.until("p1 sees the older node", () -> registered(p1), n -> n == 3);
            String d1 = p1.upload("nodejs", zip("one"));
            assertEquals("nest-chunks/1", format(p1, d1));
            String m2 = "{\"format\":\"nest-chunks/2\",\"digest\":\"sha256:" + "1".repeat(64) + "\",\"codec\":\"zstd\","
                    + "\"files\":1,\"bytes\":10,\"chunks\":[{\"sha256\":\"" + "a".repeat(64)
                    + "\",\"size\":20,\"rawSize\":40,\"codec\":\"lz4\"}]}";
            Http.Response refused = p1.post("/api/v1/artifacts/manifests?runtime=nodejs", "application/json",
                    m2.getBytes(StandardCharsets.UTF_8));
            assertEquals(409, refused.status(), refused::toString);
            assertTrue(refused.text().contains("nest-chunks/2") && refused.text().contains("older"), refused.text());
        } finally {
            older.close();
        }

        // every live node reads format 2: uploads use it, and the other node fetches such a package (replicas 2)
        Poll.until("p1 sees the older node leave", () -> registered(p1), n -> n == 2);
        String d2 = p1.upload("nodejs", zip("two"));
        assertEquals("nest-chunks/2", format(p1, d2));
        p1.deploy("formatted", Map.of("runtime", "nodejs", "deploy", "dedicated", "handler", "index.handler"), d2);
        Poll.until("the other node holds the format-2 package", () -> p2.get("/api/v1/artifacts/manifests/" + d2).status(),
                st -> st == 200);
        assertEquals("nest-chunks/2", format(p2, d2));

        // format 2 is in use: an older node that registers now does not turn uploads back to format 1
        Cluster late = olderNode(port);
        try {
            Poll.until("p2 sees the older node again", () -> registered(p2), n -> n == 3);
            String d3 = p2.upload("nodejs", zip("three"));
            assertEquals("nest-chunks/2", format(p2, d3), "the ratchet holds");
        } finally {
            late.close();
            port.close();
        }
    }
}
