package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code nest fn triggers NAME} against a fake server on a loopback port. */
class TriggersCommandTest {
    private HttpServer server;
    private final BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    private volatile String answer = "{}";
    private String url;

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
        seen.add(x.getRequestMethod() + " " + x.getRequestURI());
        x.getResponseHeaders().add("Content-Type", "application/json");
        byte[] body = answer.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(200, body.length);
        x.getResponseBody().write(body);
        x.close();
    }

    private String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new FnCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute(args), err.toString());
        return out.toString();
    }

    @Test
    void listsTriggersWithNextAndLastFireTimes() throws Exception {
        answer = """
                {"name":"nightly","namespace":"team","version":3,"http":false,"node":"n1","leader":"n2","triggers":[
                 {"name":"every-2s","type":"cron","runsOn":"leader","runningHere":false,"details":{
                  "schedule":"*/2 * * * * *","timezone":"UTC","nextFire":"2026-01-01T00:00:02Z",
                  "lastFire":"2026-01-01T00:00:00Z","missed":3}},
                 {"name":"orders","type":"kafka","runningHere":false,"problem":"trigger type 'kafka' is not installed on this node",
                  "details":{}}]}
                """;
        String out = run("triggers", "nightly", "-n", "team", "--server", url);
        assertEquals("GET /api/v1/functions/nightly/triggers?namespace=team", seen.poll(10, TimeUnit.SECONDS));
        assertTrue(out.contains("team/nightly is event-only"), out);
        assertTrue(out.contains("every-2s") && out.contains("2026-01-01T00:00:02Z") && out.contains("2026-01-01T00:00:00Z")
                && out.contains("missed 3"), out);
        assertTrue(out.contains("problem: trigger type 'kafka' is not installed"), out);
    }

    @Test
    void saysSoWhenThereAreNone() {
        answer = "{\"name\":\"f\",\"namespace\":\"default\",\"http\":true,\"triggers\":[]}";
        assertEquals("no triggers", run("triggers", "f", "--server", url).trim());
    }
}
