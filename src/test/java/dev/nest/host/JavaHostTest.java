package dev.nest.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.fn.Context;
import dev.nest.runtime.JavaFunctionCompiler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JavaHostTest {

    private static final String SECRET = "test-secret-1";

    @TempDir
    static Path tmp;

    private static JavaHost host;
    private static HttpClient client;
    private static final ByteArrayOutputStream OUT = new ByteArrayOutputStream();
    private static final ByteArrayOutputStream ERR = new ByteArrayOutputStream();
    private static JavaFunctionCompiler compiler;
    /** One code dir holding many handler classes (each loaded as its own instance). */
    private static Path fns;

    // ------------------------------------------------------------------ fixtures

    private static final Map<String, String> SOURCES = new LinkedHashMap<>();

    static {
        SOURCES.put("MapHandler.java", """
                import dev.nest.fn.Context;
                import java.util.LinkedHashMap;
                import java.util.Map;

                public class MapHandler {
                    public Object handle(Map<String, Object> event, Context ctx) {
                        Map<String, Object> out = new LinkedHashMap<>();
                        out.put("event", event);
                        out.put("functionName", ctx.functionName());
                        out.put("functionVersion", ctx.functionVersion());
                        out.put("invocationId", ctx.invocationId());
                        out.put("traceparent", ctx.traceparent());
                        out.put("traceId", ctx.traceId());
                        out.put("remaining", ctx.remainingTimeMillis());
                        out.put("memory", ctx.memoryLimitMb());
                        out.put("env", ctx.env());
                        out.put("contextLoader", Thread.currentThread().getContextClassLoader() == getClass().getClassLoader());
                        return out;
                    }
                }
                """);
        SOURCES.put("com/example/EventHandler.java", """
                package com.example;

                import dev.nest.fn.Context;
                import dev.nest.fn.HttpEvent;
                import dev.nest.fn.HttpResponse;
                import java.util.Map;

                public class EventHandler {
                    public Object handle(HttpEvent e, Context ctx) {
                        switch (e.path()) {
                            case "/binary": return HttpResponse.binary(200, "image/png", e.bodyBytes());
                            case "/status": return Map.of("statusCode", 404, "headers", Map.of("content-type", "application/json"),
                                    "body", "{\\"missing\\":true}");
                            case "/object-body": return Map.of("statusCode", 202, "body", Map.of("queued", true));
                            case "/empty": return Map.of("statusCode", 204);
                            case "/bytes": return new byte[] {1, 2, 3};
                            case "/bad-status": return Map.of("statusCode", 42);
                            default: return HttpResponse.of(201, Map.of("x-custom", "yes"),
                                    "created " + e.path() + " " + e.header("X-Thing").orElse("-") + " " + e.query().get("q"));
                        }
                    }
                }
                """);
        SOURCES.put("StaticHandler.java", """
                import java.util.Map;

                public final class StaticHandler {
                    private StaticHandler() {}

                    public static Object handle(Map<String, Object> event) {
                        return Map.of("static", true, "path", event.get("path"));
                    }
                }
                """);
        SOURCES.put("BodyHandler.java", """
                import dev.nest.fn.Context;

                public class BodyHandler {
                    public String handle(String body, Context ctx) {
                        return body == null ? "<none>" : body.toUpperCase();
                    }
                }
                """);
        SOURCES.put("Thrower.java", """
                import java.util.Map;

                public class Thrower {
                    public Object handle(Map<String, Object> event) {
                        Object q = event.get("queryStringParameters");
                        if (q == null) throw new IllegalStateException("boom");
                        if (((Map<?, ?>) q).containsKey("anonymous")) throw new UnsupportedOperationException();
                        return "fine";
                    }
                }
                """);
        SOURCES.put("Probe.java", """
                import dev.nest.fn.HttpEvent;
                import dev.nest.fn.HttpResponse;

                public class Probe {
                    static String visible(String name, ClassLoader loader) {
                        try {
                            Class.forName(name, false, loader);
                            return "visible";
                        } catch (ClassNotFoundException e) {
                            return "hidden";
                        }
                    }

                    public HttpResponse handle(HttpEvent e) {
                        ClassLoader mine = Probe.class.getClassLoader();
                        ClassLoader ctx = Thread.currentThread().getContextClassLoader();
                        return HttpResponse.json(200, "{\\"host\\":\\"" + visible("dev.nest.host.JavaHost", mine)
                                + "\\",\\"hostViaContext\\":\\"" + visible("dev.nest.host.Json", ctx)
                                + "\\",\\"junit\\":\\"" + visible("org.junit.jupiter.api.Test", mine)
                                + "\\",\\"api\\":\\"" + visible("dev.nest.fn.Context", mine)
                                + "\\",\\"sql\\":\\"" + visible("java.sql.Connection", mine) + "\\"}");
                    }
                }
                """);
        SOURCES.put("Logs.java", """
                import dev.nest.fn.Context;
                import dev.nest.fn.Handler;
                import java.util.Map;

                public class Logs implements Handler {
                    @Override
                    public Object handle(Map<String, Object> event, Context ctx) {
                        System.out.println("hello\\nworld");
                        System.out.print("partial");
                        System.err.println("oops");
                        ctx.logger().warn("careful");
                        ctx.logger().debug("two\\nlines");
                        return "logged";
                    }
                }
                """);
        SOURCES.put("Records.java", """
                import java.time.Instant;
                import java.util.List;
                import java.util.Optional;

                public class Records {
                    public record Point(int x, String label, Optional<String> note, Instant at, List<Kind> kinds) {}

                    public enum Kind { A, B }

                    public static Object handle() {
                        return new Point(3, "p\\u00e9", Optional.empty(), Instant.parse("2024-01-02T03:04:05Z"), List.of(Kind.B));
                    }
                }
                """);
        SOURCES.put("Cycle.java", """
                import java.util.ArrayList;
                import java.util.List;

                public class Cycle {
                    public Object handle() {
                        List<Object> l = new ArrayList<>();
                        l.add(l);
                        return l;
                    }
                }
                """);
        SOURCES.put("NoHandle.java", """
                public class NoHandle {
                    public Object handle(int wrong) { return null; }
                    public void run() {}
                }
                """);
        SOURCES.put("BadInit.java", """
                import java.util.Map;

                public class BadInit {
                    static {
                        if (Boolean.parseBoolean("true")) throw new IllegalStateException("init failed");
                    }
                    public Object handle(Map<String, Object> event) { return null; }
                }
                """);
        SOURCES.put("Sleeper.java", """
                import dev.nest.fn.Context;
                import java.util.Map;

                public class Sleeper {
                    public Object handle(Map<String, Object> event, Context ctx) throws InterruptedException {
                        if (((Map<?, ?>) event.get("query")).containsKey("sleep")) Thread.sleep(60_000);
                        return "awake";
                    }
                }
                """);
        SOURCES.put("Spinner.java", """
                import dev.nest.fn.Context;
                import java.util.Map;

                public class Spinner {
                    public Object handle(Map<String, Object> event, Context ctx) {
                        if (((Map<?, ?>) event.get("query")).containsKey("spin")) {
                            long end = System.nanoTime() + 3_000_000_000L; // ends by itself, to leave the test JVM
                            while (System.nanoTime() < end) Thread.interrupted(); // ignores interruption
                        }
                        return "done";
                    }
                }
                """);
        SOURCES.put("Nothing.java", """
                public class Nothing {
                    public static void handle() {}
                }
                """);
    }

    @BeforeAll
    static void startHost() throws IOException {
        compiler = new JavaFunctionCompiler(apiClasspath());
        fns = Files.createDirectories(tmp.resolve("fns"));
        for (Map.Entry<String, String> e : SOURCES.entrySet()) write(fns.resolve(e.getKey()), e.getValue());
        JavaFunctionCompiler.Result r = compiler.compile(fns, fns.resolve("classes"));
        assertTrue(r.ok(), () -> r.errors().toString());

        host = JavaHost.start(HostSettings.local(0, SECRET)
                .withLogSinks(new PrintStream(OUT, true, StandardCharsets.UTF_8),
                        new PrintStream(ERR, true, StandardCharsets.UTF_8)));
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stopHost() {
        if (host != null) host.close();
        if (client != null) client.close();
    }

    static Path apiClasspath() {
        try {
            return Path.of(Context.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ HTTP helpers

    private static HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + host.port() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) b.headers(headers);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> call(String method, String path, byte[] body, String... headers)
            throws IOException, InterruptedException {
        String[] all = new String[headers.length + 2];
        all[0] = "X-Nest-Secret";
        all[1] = SECRET;
        System.arraycopy(headers, 0, all, 2, headers.length);
        HttpResponse<byte[]> r = send(method, path, body, all);
        // every answer carries an exact Content-Length (never chunked); 204 has no body and no length
        if (r.statusCode() != 204) assertEquals(Optional.of(Integer.toString(r.body().length)), r.headers().firstValue("content-length"),
                () -> method + " " + path);
        assertFalse(r.headers().firstValue("transfer-encoding").isPresent());
        return r;
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(HttpResponse<byte[]> r) {
        return (Map<String, Object>) Json.parse(r.body());
    }

    private static HttpResponse<byte[]> load(String id, Path codeDir, String handler) throws Exception {
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("id", id);
        req.put("function", "default/" + id);
        req.put("version", 3);
        req.put("codeDir", codeDir.toString());
        if (handler != null) req.put("handler", handler);
        req.put("env", Map.of("GREETING", "hi"));
        req.put("limits", Map.of("memoryMb", 128, "timeoutMs", 30000, "concurrency", 1));
        return call("POST", "/load", Json.writeBytes(req), "Content-Type", "application/json");
    }

    private static void loadOk(String id, Path codeDir, String handler) throws Exception {
        HttpResponse<byte[]> r = load(id, codeDir, handler);
        assertEquals(200, r.statusCode(), () -> text(r));
        Map<String, Object> m = json(r);
        assertEquals(id, m.get("id"));
        Map<?, ?> timings = (Map<?, ?>) m.get("timings");
        assertInstanceOf(Number.class, timings.get("loadMs"));
        assertInstanceOf(Number.class, timings.get("initMs"));
    }

    private static HttpResponse<byte[]> unload(String id) throws Exception {
        return call("POST", "/unload", Json.writeBytes(Map.of("id", id)));
    }

    private static void assertHostError(HttpResponse<byte[]> r, int status, String kind) {
        assertEquals(status, r.statusCode(), () -> text(r));
        assertEquals(Optional.of(kind), r.headers().firstValue("x-nest-error"));
        assertEquals(Optional.of("application/json"), r.headers().firstValue("content-type"));
        Map<String, Object> m = json(r);
        assertInstanceOf(String.class, m.get("error"));
        assertInstanceOf(String.class, m.get("detail"));
    }

    // ------------------------------------------------------------------ tests: protocol

    @Test
    void requestsWithoutTheSecretGet401() throws Exception {
        HttpResponse<byte[]> none = send("GET", "/health", null);
        assertHostError(none, 401, "unauthorized");
        HttpResponse<byte[]> wrong = send("GET", "/health", null, "X-Nest-Secret", "test-secret-2");
        assertHostError(wrong, 401, "unauthorized");
        HttpResponse<byte[]> load = send("POST", "/load", "{}".getBytes(StandardCharsets.UTF_8));
        assertHostError(load, 401, "unauthorized");
        HttpResponse<byte[]> invoke = send("POST", "/invoke/x/y", null, "X-Nest-Secret", "");
        assertHostError(invoke, 401, "unauthorized");
    }

    @Test
    void healthReportsReadyRuntimeMemoryAndInstances() throws Exception {
        loadOk("s-health", fns, "StaticHandler");
        try {
            HttpResponse<byte[]> r = call("GET", "/health", null);
            assertEquals(200, r.statusCode());
            Map<String, Object> m = json(r);
            assertEquals(Boolean.TRUE, m.get("ready"));
            assertEquals("java", m.get("runtime"));
            assertEquals(ProcessHandle.current().pid(), ((Number) m.get("pid")).longValue());
            assertInstanceOf(Number.class, m.get("inFlight"));
            Map<?, ?> mem = (Map<?, ?>) m.get("memory");
            assertTrue(((Number) mem.get("rssBytes")).longValue() > 0);
            assertTrue(((Number) mem.get("heapUsedBytes")).longValue() > 0);
            List<?> instances = (List<?>) m.get("instances");
            assertTrue(instances.contains(Map.of("id", "s-health", "function", "default/s-health", "version", "3",
                    "inFlight", 0L, "healthy", true)), instances::toString);
        } finally {
            unload("s-health");
        }
    }

    @Test
    void unknownEndpointsAndBadRequests() throws Exception {
        assertHostError(call("GET", "/nope", null), 404, "bad-request");
        assertHostError(call("GET", "/load", null), 405, "bad-request");
        assertHostError(call("POST", "/load", "{not json".getBytes(StandardCharsets.UTF_8)), 400, "bad-request");
        assertHostError(call("POST", "/load", "[]".getBytes(StandardCharsets.UTF_8)), 400, "bad-request");
        assertHostError(load("bad id!", fns, "MapHandler"), 400, "bad-request");
        assertHostError(call("GET", "/invoke/never-loaded/x", null), 404, "not-loaded");
        assertHostError(unload("never-loaded"), 404, "not-loaded");
    }

    // ------------------------------------------------------------------ tests: loading

    @Test
    void loadFailuresAre422AndLeaveNoInstance() throws Exception {
        HttpResponse<byte[]> missing = load("s-missing", fns, "com.example.Missing");
        assertHostError(missing, 422, "load-failed");
        String detail = (String) json(missing).get("detail");
        assertTrue(detail.contains("com.example.Missing"), detail);
        assertTrue(detail.contains("classes/"), detail);

        HttpResponse<byte[]> noHandle = load("s-nohandle", fns, "NoHandle");
        assertHostError(noHandle, 422, "load-failed");
        assertTrue(((String) json(noHandle).get("detail")).contains("handle(HttpEvent, Context)"));

        HttpResponse<byte[]> badInit = load("s-badinit", fns, "BadInit");
        assertHostError(badInit, 422, "load-failed");
        String initDetail = (String) json(badInit).get("detail");
        assertTrue(initDetail.contains("init failed") && initDetail.contains("BadInit"), initDetail);

        HttpResponse<byte[]> noDir = load("s-nodir", tmp.resolve("does-not-exist"), "MapHandler");
        assertHostError(noDir, 422, "load-failed");

        List<?> instances = (List<?>) json(call("GET", "/health", null)).get("instances");
        for (Object s : instances) {
            String id = (String) ((Map<?, ?>) s).get("id");
            assertFalse(List.of("s-missing", "s-nohandle", "s-badinit", "s-nodir").contains(id), id);
        }
        // the id is free again
        loadOk("s-badinit", fns, "StaticHandler");
        unload("s-badinit");
    }

    @Test
    void loadingALoadedIdIs409() throws Exception {
        loadOk("s-dup", fns, "StaticHandler");
        try {
            HttpResponse<byte[]> r = load("s-dup", fns, "StaticHandler");
            assertEquals(409, r.statusCode());
        } finally {
            unload("s-dup");
        }
    }

    @Test
    void unloadedInstancesAnswerNotLoaded() throws Exception {
        loadOk("s-unload", fns, "StaticHandler");
        assertEquals(200, call("GET", "/invoke/s-unload/", null).statusCode());
        HttpResponse<byte[]> u = unload("s-unload");
        assertEquals(200, u.statusCode());
        assertEquals(Map.of("id", "s-unload"), json(u));
        assertHostError(call("GET", "/invoke/s-unload/", null), 404, "not-loaded");
    }

    // ------------------------------------------------------------------ tests: invocation

    @Test
    void mapHandlerGetsTheLambdaProxyEventAndContext() throws Exception {
        loadOk("s-map", fns, "MapHandler");
        long deadline = System.currentTimeMillis() + 10_000;
        HttpResponse<byte[]> r = call("POST", "/invoke/s-map/users/1?a=1&a=2&b=x%20y&flag",
                "{\"x\":1}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/json", "X-Thing", "t", "X-Nest-Invocation-Id", "inv-1",
                "X-Nest-Deadline", Long.toString(deadline), "X-Nest-Extra", "dropped",
                "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertEquals(200, r.statusCode(), () -> text(r));
        assertEquals(Optional.of("application/json"), r.headers().firstValue("content-type"));
        Map<String, Object> m = json(r);
        assertEquals("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", m.get("traceparent"));
        assertEquals("0af7651916cd43dd8448eb211c80319c", m.get("traceId"));
        Map<?, ?> event = (Map<?, ?>) m.get("event");
        assertEquals("POST", event.get("method"));
        assertEquals("POST", event.get("httpMethod"));
        assertEquals("/users/1", event.get("path"));
        assertEquals(Map.of("a", "2", "b", "x y", "flag", ""), event.get("query"));
        assertEquals(event.get("query"), event.get("queryStringParameters"));
        assertEquals(Map.of("a", List.of("1", "2"), "b", List.of("x y"), "flag", List.of("")),
                event.get("multiValueQueryStringParameters"));
        Map<?, ?> headers = (Map<?, ?>) event.get("headers");
        assertEquals("t", headers.get("x-thing"));
        assertEquals("application/json", headers.get("content-type"));
        for (Object k : headers.keySet()) {
            assertEquals(((String) k).toLowerCase(), k);
            assertFalse(((String) k).startsWith("x-nest-"), (String) k);
        }
        assertEquals(List.of("t"), ((Map<?, ?>) event.get("multiValueHeaders")).get("x-thing"));
        assertEquals("{\"x\":1}", event.get("body"));
        assertEquals(Boolean.FALSE, event.get("isBase64Encoded"));
        assertEquals(Map.of("requestId", "inv-1", "httpMethod", "POST", "path", "/users/1"),
                event.get("requestContext"));
        assertEquals("default/s-map", m.get("functionName"));
        assertEquals("3", m.get("functionVersion"));
        assertEquals("inv-1", m.get("invocationId"));
        long remaining = ((Number) m.get("remaining")).longValue();
        assertTrue(remaining > 0 && remaining <= 10_000, "remaining " + remaining);
        assertEquals(128L, m.get("memory"));
        assertEquals(Map.of("GREETING", "hi"), m.get("env"));
        assertEquals(Boolean.TRUE, m.get("contextLoader"));
    }

    @Test
    void noQueryAndNoBodyAndBinaryBodies() throws Exception {
        loadOk("s-map2", fns, "MapHandler");
        Map<String, Object> plainAnswer = json(call("GET", "/invoke/s-map2", null, "traceparent", "00-bad"));
        assertEquals("", plainAnswer.get("traceparent"), "a malformed traceparent is not in the context");
        assertEquals("", plainAnswer.get("traceId"));
        Map<?, ?> plain = (Map<?, ?>) json(call("GET", "/invoke/s-map2", null)).get("event");
        assertEquals("/", plain.get("path"));
        assertEquals(Map.of(), plain.get("query"));
        assertTrue(plain.containsKey("queryStringParameters"));
        assertNull(plain.get("queryStringParameters"));
        assertNull(plain.get("multiValueQueryStringParameters"));
        assertTrue(plain.containsKey("body"));
        assertNull(plain.get("body"));
        assertEquals(Boolean.FALSE, plain.get("isBase64Encoded"));

        byte[] bytes = {0, 1, 2, (byte) 0xff, 'a'};
        Map<?, ?> bin = (Map<?, ?>) json(call("PUT", "/invoke/s-map2/upload", bytes,
                "Content-Type", "application/octet-stream")).get("event");
        assertEquals(Boolean.TRUE, bin.get("isBase64Encoded"));
        assertEquals(Base64.getEncoder().encodeToString(bytes), bin.get("body"));

        Map<?, ?> text = (Map<?, ?>) json(call("POST", "/invoke/s-map2/t", "h\u00e9llo".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "text/plain; charset=utf-8")).get("event");
        assertEquals("h\u00e9llo", text.get("body"));
        assertEquals(Boolean.FALSE, text.get("isBase64Encoded"));

        Map<?, ?> problem = (Map<?, ?>) json(call("POST", "/invoke/s-map2/p", "{}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/problem+json")).get("event");
        assertEquals(Boolean.FALSE, problem.get("isBase64Encoded"));
        unload("s-map2");
    }

    @Test
    void httpEventHandlerReturningHttpResponse() throws Exception {
        loadOk("s-event", fns, "com.example.EventHandler");
        HttpResponse<byte[]> r = call("GET", "/invoke/s-event/things/7?q=search", null, "X-Thing", "abc");
        assertEquals(201, r.statusCode());
        assertEquals(Optional.of("yes"), r.headers().firstValue("x-custom"));
        assertEquals(Optional.of("text/plain; charset=utf-8"), r.headers().firstValue("content-type"));
        assertEquals("created /things/7 abc search", text(r));

        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2, 3};
        HttpResponse<byte[]> bin = call("POST", "/invoke/s-event/binary", png, "Content-Type", "image/png");
        assertEquals(200, bin.statusCode());
        assertEquals(Optional.of("image/png"), bin.headers().firstValue("content-type"));
        assertArrayEquals(png, bin.body());

        HttpResponse<byte[]> status = call("GET", "/invoke/s-event/status", null);
        assertEquals(404, status.statusCode());
        assertEquals(Optional.of("application/json"), status.headers().firstValue("content-type"));
        assertFalse(status.headers().firstValue("x-nest-error").isPresent(), "a function's own 404 is not a host error");
        assertEquals("{\"missing\":true}", text(status));

        HttpResponse<byte[]> object = call("GET", "/invoke/s-event/object-body", null);
        assertEquals(202, object.statusCode());
        assertEquals(Optional.of("application/json"), object.headers().firstValue("content-type"));
        assertEquals(Map.of("queued", true), json(object));

        HttpResponse<byte[]> empty = call("GET", "/invoke/s-event/empty", null);
        assertEquals(204, empty.statusCode());
        assertEquals(0, empty.body().length);

        HttpResponse<byte[]> bytes = call("GET", "/invoke/s-event/bytes", null);
        assertEquals(200, bytes.statusCode());
        assertEquals(Optional.of("application/octet-stream"), bytes.headers().firstValue("content-type"));
        assertArrayEquals(new byte[] {1, 2, 3}, bytes.body());

        assertHostError(call("GET", "/invoke/s-event/bad-status", null), 502, "response-error");
        unload("s-event");
    }

    @Test
    void throwingHandlerAnswers500AndStaysLoaded() throws Exception {
        loadOk("s-throw", fns, "Thrower");
        HttpResponse<byte[]> r = call("GET", "/invoke/s-throw/", null, "X-Nest-Invocation-Id", "inv-throw");
        assertHostError(r, 500, "function-error");
        Map<String, Object> m = json(r);
        assertEquals("function error", m.get("error"));
        assertEquals("boom", m.get("detail"));
        assertEquals("java.lang.IllegalStateException", m.get("type"));
        assertEquals("inv-throw", m.get("invocationId"));
        String err = ERR.toString(StandardCharsets.UTF_8);
        String prefix = "\u001eNEST\tinv-throw\ts-throw\terror\t";
        assertTrue(err.contains(prefix + "java.lang.IllegalStateException: boom\n"), err);
        assertTrue(err.contains(prefix + "\tat Thrower.handle(Thrower.java:"), err);

        HttpResponse<byte[]> anonymous = call("GET", "/invoke/s-throw/?anonymous", null);
        assertEquals(500, anonymous.statusCode());
        assertEquals("java.lang.UnsupportedOperationException", json(anonymous).get("detail"));

        HttpResponse<byte[]> fine = call("GET", "/invoke/s-throw/?ok=1", null);
        assertEquals(200, fine.statusCode());
        assertEquals("\"fine\"", text(fine));
        unload("s-throw");
    }

    @Test
    void anInvocationPastItsDeadlineIsInterruptedAndAnswered504AndTheInstanceStays() throws Exception {
        loadOk("s-sleep", fns, "Sleeper");
        HttpResponse<byte[]> r = call("GET", "/invoke/s-sleep/?sleep=1", null, "X-Nest-Invocation-Id", "inv-sleep",
                "X-Nest-Deadline", Long.toString(System.currentTimeMillis() + 150));
        assertHostError(r, 504, "timeout");
        Map<String, Object> m = json(r);
        assertEquals("function timed out", m.get("error"));
        assertEquals("inv-sleep", m.get("invocationId"));
        assertEquals(30000, ((Number) m.get("timeoutMs")).intValue());
        assertTrue(((String) m.get("detail")).contains("timeout of 30000 ms"), () -> text(r));
        assertFalse(r.headers().firstValue("x-nest-instance-health").isPresent(), "an interrupted sleep ends at once");
        assertTrue(ERR.toString(StandardCharsets.UTF_8).contains("\u001eNEST\tinv-sleep\ts-sleep\terror\ttimed out: "));

        HttpResponse<byte[]> next = call("GET", "/invoke/s-sleep/", null);
        assertEquals(200, next.statusCode());
        assertEquals("\"awake\"", text(next));
        assertEquals(Boolean.TRUE, instanceHealth("s-sleep").get("healthy"));
        unload("s-sleep");
    }

    @Test
    void anInvocationThatIgnoresItsInterruptionMakesTheInstanceUnhealthy() throws Exception {
        loadOk("s-spin", fns, "Spinner");
        HttpResponse<byte[]> r = call("GET", "/invoke/s-spin/?spin=1", null, "X-Nest-Invocation-Id", "inv-spin",
                "X-Nest-Deadline", Long.toString(System.currentTimeMillis() + 100));
        assertHostError(r, 504, "timeout");
        assertEquals(Optional.of("unhealthy"), r.headers().firstValue("x-nest-instance-health"));
        Map<String, Object> h = instanceHealth("s-spin");
        assertEquals(Boolean.FALSE, h.get("healthy"));
        assertTrue(((String) h.get("unhealthy")).contains("inv-spin"), h::toString);
        // still served, still reported, until the node agent replaces it
        HttpResponse<byte[]> next = call("GET", "/invoke/s-spin/", null);
        assertEquals(200, next.statusCode());
        assertEquals(Optional.of("unhealthy"), next.headers().firstValue("x-nest-instance-health"));
    }

    @Test
    void aDeadlineThatPassedBeforeTheRequestIsAnsweredAtOnce() throws Exception {
        loadOk("s-late", fns, "Sleeper");
        assertHostError(call("GET", "/invoke/s-late/?sleep=1", null,
                "X-Nest-Deadline", Long.toString(System.currentTimeMillis() - 1_000)), 504, "timeout");
        assertEquals(200, call("GET", "/invoke/s-late/", null).statusCode());
        unload("s-late");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> instanceHealth(String id) throws Exception {
        List<Object> list = (List<Object>) json(call("GET", "/health", null)).get("instances");
        return list.stream().map(o -> (Map<String, Object>) o).filter(i -> id.equals(i.get("id"))).findFirst()
                .orElseThrow(() -> new AssertionError("no instance " + id + " in /health"));
    }

    @Test
    void staticHandleMethodNeedsNoInstance() throws Exception {
        loadOk("s-static", fns, "StaticHandler");
        HttpResponse<byte[]> r = call("GET", "/invoke/s-static/here", null);
        assertEquals(200, r.statusCode());
        assertEquals(Map.of("static", true, "path", "/here"), json(r));
        unload("s-static");
    }

    @Test
    void stringBodyHandler() throws Exception {
        loadOk("s-body", fns, "BodyHandler");
        HttpResponse<byte[]> r = call("POST", "/invoke/s-body/", "hello".getBytes(StandardCharsets.UTF_8));
        assertEquals(200, r.statusCode());
        assertEquals("\"HELLO\"", text(r));
        assertEquals("\"<none>\"", text(call("GET", "/invoke/s-body/", null)));
        unload("s-body");
    }

    @Test
    void recordsAndVoidResultsAreJson() throws Exception {
        loadOk("s-records", fns, "Records");
        HttpResponse<byte[]> r = call("GET", "/invoke/s-records/", null);
        assertEquals(200, r.statusCode());
        assertEquals("{\"x\":3,\"label\":\"p\u00e9\",\"note\":null,\"at\":\"2024-01-02T03:04:05Z\",\"kinds\":[\"B\"]}",
                text(r));
        loadOk("s-nothing", fns, "Nothing");
        HttpResponse<byte[]> n = call("GET", "/invoke/s-nothing/", null);
        assertEquals(200, n.statusCode());
        assertEquals("null", text(n));
        unload("s-records");
        unload("s-nothing");
    }

    @Test
    void cyclicResultIsAResponseError() throws Exception {
        loadOk("s-cycle", fns, "Cycle");
        HttpResponse<byte[]> r = call("GET", "/invoke/s-cycle/", null);
        assertHostError(r, 502, "response-error");
        assertTrue(((String) json(r).get("detail")).contains("cycle"));
        unload("s-cycle");
    }

    @Test
    void twoVersionsOfTheSameClassAreIsolated() throws Exception {
        Path v1 = tmp.resolve("v1");
        Path v2 = tmp.resolve("v2");
        String source = """
                import java.util.Map;

                public class Handler {
                    static int calls;
                    public Object handle(Map<String, Object> event) {
                        return Map.of("version", "%s", "calls", ++calls);
                    }
                }
                """;
        write(v1.resolve("Handler.java"), source.formatted("one"));
        write(v2.resolve("Handler.java"), source.formatted("two"));
        assertTrue(compiler.compile(v1, v1.resolve("classes")).ok());
        assertTrue(compiler.compile(v2, v2.resolve("classes")).ok());
        loadOk("s-v1", v1, null); // default handler: Handler
        loadOk("s-v2", v2, null);

        assertEquals(Map.of("version", "one", "calls", 1L), json(call("GET", "/invoke/s-v1/", null)));
        assertEquals(Map.of("version", "one", "calls", 2L), json(call("GET", "/invoke/s-v1/", null)));
        assertEquals(Map.of("version", "two", "calls", 1L), json(call("GET", "/invoke/s-v2/", null)));
        unload("s-v1");
        unload("s-v2");
    }

    @Test
    void functionsSeeTheApiButNotTheHost() throws Exception {
        loadOk("s-probe", fns, "Probe");
        HttpResponse<byte[]> r = call("GET", "/invoke/s-probe/", null);
        assertEquals(200, r.statusCode(), () -> text(r));
        assertEquals(Map.of("host", "hidden", "hostViaContext", "hidden", "junit", "hidden", "api", "visible",
                "sql", "visible"), json(r));
        unload("s-probe");
    }

    @Test
    void jarsInLibAreOnTheFunctionsClasspath() throws Exception {
        Path libSrc = tmp.resolve("libsrc");
        write(libSrc.resolve("util/Greeter.java"),
                "package util;\npublic final class Greeter { public static String greet(String n) { return \"hi \" + n; } }\n");
        Path libClasses = tmp.resolve("libclasses");
        assertTrue(compiler.compile(libSrc, libClasses).ok());
        Path code = tmp.resolve("withlib");
        jar(libClasses, code.resolve("lib/greeter.jar"));
        write(code.resolve("Handler.java"),
                "public class Handler { public String handle(String body) { return util.Greeter.greet(body); } }\n");
        write(code.resolve("config.txt"), "resource");
        assertTrue(compiler.compile(code, code.resolve("classes")).ok());
        loadOk("s-lib", code, "Handler");
        assertEquals("\"hi there\"", text(call("POST", "/invoke/s-lib/", "there".getBytes(StandardCharsets.UTF_8))));
        unload("s-lib");
    }

    @Test
    void systemOutDuringAnInvocationBecomesFramedLogLines() throws Exception {
        loadOk("s-logs", fns, "Logs");
        HttpResponse<byte[]> r = call("GET", "/invoke/s-logs/", null, "X-Nest-Invocation-Id", "inv-log");
        assertEquals(200, r.statusCode());
        assertEquals("\"logged\"", text(r));
        String out = OUT.toString(StandardCharsets.UTF_8);
        String err = ERR.toString(StandardCharsets.UTF_8);
        String p = "\u001eNEST\tinv-log\ts-logs\t";
        assertTrue(out.contains(p + "info\thello\n" + p + "info\tworld\n"), out);
        assertTrue(out.contains(p + "warn\tcareful\n"), out);
        assertTrue(out.contains(p + "debug\ttwo\n" + p + "debug\tlines\n"), out);
        assertTrue(out.contains(p + "info\tpartial\n"), "a partial line is flushed at the end: " + out);
        assertTrue(err.contains(p + "error\toops\n"), err);
        unload("s-logs");
    }

    // ------------------------------------------------------------------ JSON codec

    @Test
    void jsonRoundTripsEscapesUnicodeNestingAndNumbers() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("quote\"back\\slash", "tab\tnl\ncr\rff\fbs\bctl\u0001\u001f/");
        m.put("unicode", "\u00e9\u4e2d\ud83d\ude00\u2028");
        m.put("nested", List.of(Map.of("a", List.of()), Map.of(), List.of(List.of(1L, 2L))));
        m.put("zero", 0L);
        m.put("negative", -17L);
        m.put("long", Long.MAX_VALUE);
        m.put("min", Long.MIN_VALUE);
        m.put("big", new BigInteger("123456789012345678901234567890"));
        m.put("double", 1.5);
        m.put("small", 1.0e-7);
        m.put("large", 6.02e23);
        m.put("true", true);
        m.put("false", false);
        m.put("null", null);
        m.put("", "empty key");

        String text = Json.write(m);
        assertEquals(m, Json.parse(text));
        assertTrue(text.contains("\\u0001\\u001f"), text);
        assertTrue(text.contains("\\t") && text.contains("\\n") && text.contains("\\\""), text);
        assertTrue(text.contains("\u00e9\u4e2d\ud83d\ude00"), "non-ASCII is written as UTF-8: " + text);
        assertEquals(m, Json.parse(Json.writeBytes(m)));
    }

    @Test
    void jsonReadsEscapesAndRejectsBadInput() {
        assertEquals("\u00e9\ud83d\ude00/\"\\\b\f\n\r\t", Json.parse("\"\\u00e9\\ud83d\\ude00\\/\\\"\\\\\\b\\f\\n\\r\\t\""));
        assertEquals(List.of(1L, -2L, 3.25, -1.0e-3, 1.0e10), Json.parse(" [1, -2, 3.25, -1e-3, 1E10] "));
        assertEquals(Map.of("a", Map.of("b", List.of(true, false))), Json.parse("{\"a\":{\"b\":[true,false]}}"));
        assertNull(Json.parse("null"));
        for (String bad : List.of("", "{", "[1,]", "{\"a\"}", "01", "1.", "-", "\"\\x\"", "\"unterminated",
                "tru", "[1] 2", "{\"a\":1,}", "\"\u0001\"", "\"\\u12\"")) {
            assertThrows(Json.JsonException.class, () -> Json.parse(bad), bad);
        }
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 5000; i++) deep.append('[');
        assertThrows(Json.JsonException.class, () -> Json.parse(deep.toString()));
    }

    record Point(int x, String y, Optional<String> z) {}

    enum Color { RED }

    public static final class Bean {
        public final int field = 7;

        public String getName() {
            return "bean";
        }

        public boolean isActive() {
            return true;
        }
    }

    @Test
    void jsonWritesRecordsArraysOptionalsEnumsTimeAndBeans() {
        assertEquals("{\"x\":1,\"y\":\"a\",\"z\":\"q\"}", Json.write(new Point(1, "a", Optional.of("q"))));
        assertEquals("[1,2,3]", Json.write(new int[] {1, 2, 3}));
        assertEquals("[\"a\",null]", Json.write(new String[] {"a", null}));
        assertEquals("\"AQI=\"", Json.write(new byte[] {1, 2}));
        assertEquals("null", Json.write(Optional.empty()));
        assertEquals("\"RED\"", Json.write(Color.RED));
        assertEquals("\"2024-01-02T03:04:05Z\"", Json.write(Instant.parse("2024-01-02T03:04:05Z")));
        assertEquals("\"PT1M\"", Json.write(Duration.ofMinutes(1)));
        assertEquals("{\"active\":true,\"field\":7,\"name\":\"bean\"}", Json.write(new Bean()));
        assertEquals("[null,null]", Json.write(List.of(Double.NaN, Float.POSITIVE_INFINITY)));
        assertEquals("\"\\ud800\"", Json.write("\ud800"), "a lone surrogate is escaped");

        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        assertThrows(Json.JsonException.class, () -> Json.write(cyclic));
        Map<String, Object> self = new LinkedHashMap<>();
        self.put("me", self);
        assertThrows(Json.JsonException.class, () -> Json.write(self));
        // the same object twice (not nested in itself) is fine
        List<Integer> shared = List.of(1);
        assertEquals("[[1],[1]]", Json.write(List.of(shared, shared)));
    }

    // ------------------------------------------------------------------ helpers

    static void jar(Path classes, Path jarFile) throws IOException {
        Files.createDirectories(jarFile.getParent());
        try (OutputStream os = Files.newOutputStream(jarFile);
                JarOutputStream jar = new JarOutputStream(os);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(f));
                jar.closeEntry();
            }
        }
    }
}
