package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.nest.common.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code nest ns ls|get|set} against a fake server that keeps one namespace's settings like the real one. */
class NsCommandsTest {
    private static final String TOKEN = "nest_" + "S".repeat(49);

    private HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private volatile String settings = "{\"namespace\":\"shop\",\"quota\":{\"instances\":4,\"memory\":\"2Gi\"},"
            + "\"limits\":{\"rate\":\"10/s\",\"burst\":20},\"usage\":{\"instances\":1,\"memory\":\"128Mi\"}}";
    private volatile String lastBody = "";
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
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        seen.add(x.getRequestMethod() + " " + x.getRequestURI());
        String answer;
        if (x.getRequestURI().getPath().equals("/api/v1/namespaces")) {
            answer = "{\"namespaces\":[" + settings + "]}";
        } else if (x.getRequestMethod().equals("PUT")) {
            lastBody = body;
            answer = body.replaceFirst("\\{", "{\"namespace\":\"shop\",");
            settings = answer;
        } else {
            answer = settings;
        }
        byte[] out = answer.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(200, out.length);
        x.getResponseBody().write(out);
        x.close();
    }

    private record Run(int code, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new NsCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[] {"--server", url, "--token", TOKEN}, 0, all, args.length, 4);
        return new Run(cl.execute(all), out.toString(), err.toString());
    }

    @Test
    void lsAndGetShowQuotasAndUsage() {
        Run ls = run("ls");
        assertEquals(0, ls.code(), ls.err());
        assertTrue(ls.out().startsWith("NAMESPACE"), ls.out());
        assertTrue(ls.out().lines().anyMatch(l -> l.matches("shop\\s+1\\s+4\\s+128Mi\\s+2Gi\\s+10/s\\s+20")), ls.out());
        Run get = run("get", "shop");
        assertEquals(0, get.code(), get.err());
        assertTrue(get.out().contains("1 of 4"), get.out());
        assertTrue(get.out().contains("128Mi of 2Gi"), get.out());
    }

    @Test
    void setChangesTheGivenSettingsAndKeepsTheOthers() {
        Run r = run("set", "shop", "--max-instances", "8");
        assertEquals(0, r.code(), r.err());
        JsonNode sent = Json.tree(lastBody.getBytes(StandardCharsets.UTF_8), "sent");
        assertEquals(8, sent.at("/quota/instances").asInt());
        assertEquals("2Gi", sent.at("/quota/memory").asText(), "kept");
        assertEquals("10/s", sent.at("/limits/rate").asText(), "kept");
        assertTrue(r.out().contains("max instances 8, max memory 2Gi"), r.out());
        assertEquals(List.of("GET /api/v1/namespaces/shop", "PUT /api/v1/namespaces/shop"), seen);

        run("set", "shop", "--max-memory", "8Gi", "--rate", "100/s", "--burst", "200");
        sent = Json.tree(lastBody.getBytes(StandardCharsets.UTF_8), "sent");
        assertEquals("8Gi", sent.at("/quota/memory").asText());
        assertEquals("100/s", sent.at("/limits/rate").asText());
        assertEquals(200, sent.at("/limits/burst").asInt());

        run("set", "shop", "--max-memory", "none", "--rate", "5/s");
        sent = Json.tree(lastBody.getBytes(StandardCharsets.UTF_8), "sent");
        assertTrue(sent.at("/quota/memory").isMissingNode(), lastBody);
        assertTrue(sent.at("/limits/burst").isMissingNode(), "a new rate without --burst takes its own default");
    }

    @Test
    void badOptionsAreRefusedBeforeAnyRequest() {
        Run none = run("set", "shop");
        assertEquals(1, none.code());
        assertTrue(none.err().contains("nothing to set"), none.err());
        Run bad = run("set", "shop", "--max-instances", "many");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--max-instances: 'many' is not a whole number"), bad.err());
        assertEquals(List.of(), seen, "nothing was sent");
    }
}
