package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.nest.artifact.ChunkManifest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code nest fn deploy} packs as {@value ChunkManifest#FORMAT_PER_CHUNK} by default and, when the server refuses that
 * format by name (409 from a cluster with an older node, 400 from an older server), packs as {@value
 * ChunkManifest#FORMAT} and uploads again; any other refusal is reported as it is. Against a fake server.
 */
class DeployFormatFallbackTest {
    private static final String TOKEN = "nest_" + "S".repeat(49);

    @TempDir
    Path tmp;

    private HttpServer server;
    private String url;
    private final List<String> manifests = new CopyOnWriteArrayList<>();
    private volatile int refusal = 409;
    private volatile String refusalDetail = "package format nest-chunks/2 is not in use in this cluster: node(s) old do not read it";

    @BeforeEach
    void setUp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
    }

    private void handle(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.ISO_8859_1);
        String path = x.getRequestURI().getPath();
        int status = 200;
        String answer = "{}";
        if (x.getRequestMethod().equals("HEAD")) {
            status = 404;
        } else if (path.equals("/api/v1/artifacts/manifests")) {
            manifests.add(body.substring(0, body.indexOf(',')));
            if (body.contains(ChunkManifest.FORMAT_PER_CHUNK)) {
                status = refusal;
                answer = "{\"error\":\"refused\",\"detail\":\"" + refusalDetail + "\"}";
            } else {
                status = 201;
                answer = "{\"digest\":\"sha256:" + "1".repeat(64) + "\",\"files\":2,\"bytes\":10}";
            }
        } else if (path.startsWith("/api/v1/functions/")) {
            status = 201;
            answer = "{\"version\":1,\"changed\":true,\"url\":\"http://h/fn/app\"}";
        }
        byte[] out = answer.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        if (x.getRequestMethod().equals("HEAD")) {
            x.sendResponseHeaders(status, -1);
        } else {
            x.sendResponseHeaders(status, out.length);
            x.getResponseBody().write(out);
        }
        x.close();
    }

    private int deploy(StringWriter err) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(dir.resolve("function.yaml"), "name: app\nruntime: nodejs\nhandler: index.handler\n");
        Files.writeString(dir.resolve("index.js"), "exports.handler = async () => ({});\n");
        // over 1 MiB (zstd by size) in one large file: its chunk is lz4 under the default policy, so format 2
        Files.writeString(dir.resolve("bundle.js"), "function f(a, b) { return a + b; }\n".repeat(60_000));
        CommandLine cl = new CommandLine(new FnCommand());
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute("deploy", dir.toString(), "--server", url, "--token", TOKEN);
    }

    @Test
    void aClusterThatRefusesFormat2GetsFormat1() throws IOException {
        StringWriter err = new StringWriter();
        assertEquals(0, deploy(err), err::toString);
        assertEquals(List.of("{\"format\":\"" + ChunkManifest.FORMAT_PER_CHUNK + "\"", "{\"format\":\"" + ChunkManifest.FORMAT + "\""),
                manifests);
        assertTrue(err.toString().contains("uploading as " + ChunkManifest.FORMAT), err.toString());
    }

    @Test
    void anOlderServersRefusalByFormatGetsFormat1Too() throws IOException {
        refusal = 400;
        refusalDetail = "manifest key 'format': value 'nest-chunks/2' is not supported; allowed: nest-chunks/1";
        assertEquals(0, deploy(new StringWriter()));
        assertEquals(2, manifests.size());
    }

    @Test
    void anotherRefusalIsReportedWithoutARetry() throws IOException {
        refusal = 400;
        refusalDetail = "2 chunk(s) of package sha256:1 are not uploaded";
        StringWriter err = new StringWriter();
        assertTrue(deploy(err) != 0, "the deploy fails");
        assertEquals(1, manifests.size(), "no second upload");
        assertTrue(err.toString().contains("not uploaded"), err.toString());
    }
}
