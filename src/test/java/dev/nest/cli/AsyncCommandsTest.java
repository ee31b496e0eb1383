package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.nest.common.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code nest fn invoke --async} and {@code nest fn dlq ls|redrive} against a fake server on a loopback port. */
class AsyncCommandsTest {
    /** A request the fake server saw. */
    record Seen(String method, String path, Optional<String> invocationType, Optional<String> idempotencyKey,
                String body) {
    }

    private HttpServer server;
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private volatile int status = 200;
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
        seen.add(new Seen(x.getRequestMethod(), x.getRequestURI().toString(),
                Optional.ofNullable(x.getRequestHeaders().getFirst("X-Nest-Invocation-Type")),
                Optional.ofNullable(x.getRequestHeaders().getFirst("Idempotency-Key")),
                new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
        if (status == 202) {
            x.getResponseHeaders().add("Location", "/api/v1/invocations/inv-1");
            x.getResponseHeaders().add("x-nest-invocation-id", "inv-1");
        }
        x.getResponseHeaders().add("Content-Type", "application/json");
        byte[] body = answer.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, body.length);
        x.getResponseBody().write(body);
        x.close();
    }

    private Seen next() throws InterruptedException {
        Seen s = seen.poll(10, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("the server saw no request");
        }
        return s;
    }

    private record Run(int code, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new FnCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void invokeAsyncAsksForAnAsyncInvocationAndPrintsItsIdAndLocation() throws Exception {
        status = 202;
        answer = "{\"invocationId\":\"inv-1\"}";
        Run r = run("invoke", "hello", "--async", "--idempotency-key", "order-7", "-d", "x", "--server", url);
        assertEquals(0, r.code(), r.err());
        Seen s = next();
        assertEquals("POST /fn/hello", s.method() + " " + s.path());
        assertEquals(Optional.of("async"), s.invocationType());
        assertEquals(Optional.of("order-7"), s.idempotencyKey());
        assertEquals("Accepted invocation inv-1\nLocation: " + url + "/api/v1/invocations/inv-1\n",
                r.out().replace("\r\n", "\n"));
    }

    @Test
    void anIdempotencyKeyGoesWithAsyncOnly() {
        Run r = run("invoke", "hello", "--idempotency-key", "k", "--server", url);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--async"), r.err());
        assertTrue(seen.isEmpty());
    }

    @Test
    void dlqLsListsTheFunctionsDeadLetters() throws Exception {
        answer = "{\"function\":\"team/f\",\"deadLetters\":[{\"id\":\"inv-9\",\"attempt\":3,\"status\":500,"
                + "\"finishedAt\":\"2026-01-01T00:00:00Z\",\"lastError\":\"boom\"}]}";
        Run r = run("dlq", "ls", "f", "-n", "team", "--server", url);
        assertEquals(0, r.code(), r.err());
        Seen s = next();
        assertEquals("GET /api/v1/functions/f/dead-letters?namespace=team&limit=100", s.method() + " " + s.path());
        assertTrue(r.out().contains("inv-9") && r.out().contains("boom"), r.out());
    }

    @Test
    void dlqRedriveSendsOneOrAll() throws Exception {
        answer = "{\"function\":\"default/f\",\"redriven\":1}";
        Run one = run("dlq", "redrive", "f", "--id", "inv-9", "--server", url);
        assertEquals(0, one.code(), one.err());
        Seen s = next();
        assertEquals("POST /api/v1/functions/f/dead-letters/redrive?namespace=default", s.method() + " " + s.path());
        assertEquals("inv-9", Json.tree(s.body().getBytes(StandardCharsets.UTF_8), "body").path("id").asText());
        assertTrue(one.out().contains("1 dead letter sent again"), one.out());

        answer = "{\"function\":\"default/f\",\"redriven\":4}";
        assertEquals(0, run("dlq", "redrive", "f", "--all", "--server", url).code());
        assertTrue(Json.tree(next().body().getBytes(StandardCharsets.UTF_8), "body").path("all").asBoolean());
    }

    @Test
    void dlqRedriveNeedsExactlyOneOfIdAndAll() {
        assertNotEquals(0, run("dlq", "redrive", "f", "--server", url).code());
        assertNotEquals(0, run("dlq", "redrive", "f", "--id", "x", "--all", "--server", url).code());
        assertTrue(seen.isEmpty());
    }
}
