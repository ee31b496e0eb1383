package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.nest.NestCommand;
import dev.nest.common.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * {@code -o json} on every listing command prints the server's document unchanged (same fields, order and values),
 * {@code -o table} (the default) a table, and a bad format is refused naming the allowed ones; through the whole
 * command tree and through {@link CommandPath}.
 */
class OutputCommandsTest {
    private static final String TOKEN = "nest_" + "O".repeat(49);
    /** Path → the document the fake server answers (numbers of several kinds, nesting, nulls, unicode). */
    private static final Map<String, String> DOCS = Map.of(
            "/api/v1/functions", "{\"functions\":[{\"name\":\"hello\",\"namespace\":\"default\",\"runtime\":\"nodejs\","
                    + "\"live\":1,\"versions\":2,\"status\":\"ready\",\"big\":12345678901234,\"ratio\":0.25}]}",
            "/api/v1/functions/hello/versions", "{\"versions\":[{\"version\":2,\"live\":true,\"createdAt\":"
                    + "\"2026-01-01T00:00:00Z\",\"digest\":\"sha256:0123456789abcdef0123\",\"source\":\"cli\"}]}",
            "/api/v1/invocations", "{\"invocations\":[{\"id\":\"a\",\"startedAt\":\"x\",\"version\":1,\"status\":200,"
                    + "\"cold\":false,\"durationMs\":1.5,\"phases\":{\"run\":1.25}}],\"node\":null}",
            "/api/v1/functions/hello/logs", "{\"logs\":[{\"at\":\"t\",\"level\":\"info\",\"text\":\"h\u00e9llo\"}]}",
            "/api/v1/functions/hello/triggers", "{\"namespace\":\"default\",\"name\":\"hello\",\"http\":true,"
                    + "\"triggers\":[{\"name\":\"tick\",\"type\":\"cron\",\"details\":{\"schedule\":\"* * * * *\"}}]}",
            "/api/v1/functions/hello/dead-letters", "{\"deadLetters\":[{\"id\":\"d\",\"attempt\":3}]}",
            "/api/v1/functions/hello/aliases", "{\"aliases\":[{\"name\":\"live\",\"versions\":{\"2\":100}}]}",
            "/api/v1/namespaces", "{\"namespaces\":[{\"namespace\":\"default\",\"quota\":{},\"limits\":{}}]}",
            "/api/v1/namespaces/shop", "{\"namespace\":\"shop\",\"quota\":{\"instances\":4},\"usage\":{}}",
            "/api/v1/tokens", "{\"tokens\":[{\"name\":\"ci\",\"role\":\"developer\",\"namespaces\":[\"shop\"],"
                    + "\"prefix\":\"nest_ab\",\"expiresAt\":null}]}");

    private HttpServer server;
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
        String doc = DOCS.get(x.getRequestURI().getPath());
        byte[] out = (doc == null ? "{\"error\":\"not found\",\"detail\":\"no route\"}" : doc)
                .getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(doc == null ? 404 : 200, out.length);
        x.getResponseBody().write(out);
        x.close();
    }

    private record Run(int code, String out, String err) {
    }

    private Run run(boolean fastPath, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = Stream.concat(Stream.of(args), Stream.of("--server", url, "--token", TOKEN))
                .toArray(String[]::new);
        CommandLine cl = fastPath ? CommandPath.leaf(NestCommand.class, all).orElseThrow()
                : new CommandLine(new NestCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return new Run(cl.execute(all), out.toString(), err.toString());
    }

    static List<Object[]> listings() {
        return List.of(
                new Object[] {"/api/v1/functions", new String[] {"fn", "ls"}},
                new Object[] {"/api/v1/functions/hello/versions", new String[] {"fn", "versions", "hello"}},
                new Object[] {"/api/v1/invocations", new String[] {"fn", "invocations", "hello"}},
                new Object[] {"/api/v1/functions/hello/logs", new String[] {"fn", "logs", "hello"}},
                new Object[] {"/api/v1/functions/hello/triggers", new String[] {"fn", "triggers", "hello"}},
                new Object[] {"/api/v1/functions/hello/dead-letters", new String[] {"fn", "dlq", "ls", "hello"}},
                new Object[] {"/api/v1/functions/hello/aliases", new String[] {"fn", "alias", "ls", "hello"}},
                new Object[] {"/api/v1/namespaces", new String[] {"ns", "ls"}},
                new Object[] {"/api/v1/namespaces/shop", new String[] {"ns", "get", "shop"}},
                new Object[] {"/api/v1/tokens", new String[] {"token", "ls"}});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("listings")
    void jsonIsTheServersDocumentUnchanged(String path, String[] command) throws IOException {
        for (boolean fast : new boolean[] {false, true}) {
            Run r = run(fast, Stream.concat(Stream.of(command), Stream.of("-o", "json")).toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            JsonNode printed = Json.mapper().readTree(r.out());
            assertEquals(Json.mapper().readTree(DOCS.get(path)), printed);
            // the same fields in the same order as the server sent them
            assertEquals(Json.mapper().readTree(DOCS.get(path)).toString(), printed.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("listings")
    void tableIsTheDefaultAndNotJson(String path, String[] command) {
        Run plain = run(true, command);
        Run table = run(true, Stream.concat(Stream.of(command), Stream.of("--output", "TABLE")).toArray(String[]::new));
        assertEquals(0, plain.code(), plain.err());
        assertEquals(plain.out(), table.out());
        assertTrue(!plain.out().stripLeading().startsWith("{"), plain.out());
    }

    @Test
    void anUnknownFormatIsRefusedNamingTheAllowedOnes() {
        Run r = run(true, "fn", "ls", "-o", "yaml");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'yaml' is not an output format; use table or json"), r.err());
    }

    @Test
    void serverErrorsStayErrorsInJsonMode() {
        Run r = run(true, "fn", "versions", "missing", "-o", "json");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not found: no route"), r.err());
        assertEquals("", r.out());
    }
}
