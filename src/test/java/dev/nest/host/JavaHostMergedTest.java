package dev.nest.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.runtime.JavaFunctionCompiler;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java host as a merged pod's host: each instance on its own threads, its CPU and allocation reported. */
class JavaHostMergedTest {
    private static final String SECRET = "merged-secret";
    private static final long MIB = 1 << 20;

    @TempDir
    static Path tmp;

    private static JavaHost host;
    private static HttpClient client;
    private static Path fns;

    private static final Map<String, String> SOURCES = Map.of(
            "Allocator.java", """
                    import java.util.ArrayList;
                    import java.util.List;

                    public class Allocator {
                        public static Object handle() {
                            List<byte[]> kept = new ArrayList<>();
                            for (int i = 0; i < 32; i++) kept.add(new byte[1 << 20]);
                            return kept.size();
                        }
                    }
                    """,
            "Burner.java", """
                    import java.lang.management.ManagementFactory;

                    public class Burner {
                        public static Object handle() {
                            var mx = ManagementFactory.getThreadMXBean();
                            long end = mx.getCurrentThreadCpuTime() + 40_000_000L;
                            long n = 0;
                            while (mx.getCurrentThreadCpuTime() < end) n++;
                            return n > 0;
                        }
                    }
                    """,
            "Quick.java", """
                    public class Quick {
                        public static Object handle() { return "quick"; }
                    }
                    """,
            "Hog.java", """
                    public class Hog {
                        public static Object handle() throws InterruptedException {
                            Thread.sleep(60_000);
                            return "woke";
                        }
                    }
                    """);

    @BeforeAll
    static void startHost() throws IOException {
        fns = Files.createDirectories(tmp.resolve("fns"));
        for (Map.Entry<String, String> e : SOURCES.entrySet()) {
            Files.writeString(fns.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
        }
        JavaFunctionCompiler.Result r = new JavaFunctionCompiler(JavaHostTest.apiClasspath())
                .compile(fns, fns.resolve("classes"));
        assertTrue(r.ok(), () -> r.errors().toString());
        host = JavaHost.start(HostSettings.local(0, SECRET), true);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stopHost() {
        if (host != null) host.close();
        if (client != null) client.close();
    }

    private static HttpResponse<String> call(String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        return callAsync(method, path, body, headers).join();
    }

    private static CompletableFuture<HttpResponse<String>> callAsync(String method, String path, String body,
            String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + host.port() + path))
                .timeout(Duration.ofSeconds(30)).header("X-Nest-Secret", SECRET)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void load(String id, String handler, int concurrency) throws Exception {
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("id", id);
        req.put("function", "default/" + id);
        req.put("version", 1);
        req.put("codeDir", fns.toString());
        req.put("handler", handler);
        req.put("limits", Map.of("memoryMb", 128, "timeoutMs", 30000, "concurrency", concurrency));
        HttpResponse<String> r = call("POST", "/load", new String(Json.writeBytes(req), StandardCharsets.UTF_8));
        assertEquals(200, r.statusCode(), r::body);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> instance(String endpoint, String id) throws Exception {
        HttpResponse<String> r = call("GET", endpoint, null);
        assertEquals(200, r.statusCode(), r::body);
        Map<String, Object> body = (Map<String, Object>) Json.parse(r.body().getBytes(StandardCharsets.UTF_8));
        assertEquals(Boolean.TRUE, body.get("merged"));
        return ((List<Object>) body.get("instances")).stream().map(o -> (Map<String, Object>) o)
                .filter(i -> id.equals(i.get("id"))).findFirst()
                .orElseThrow(() -> new AssertionError("no instance " + id + " in " + endpoint + ": " + r.body()));
    }

    private static long number(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }

    @Test
    void eachInstanceReportsTheCpuAndAllocationOfItsOwnThreads() throws Exception {
        load("m-alloc", "Allocator", 1);
        load("m-burn", "Burner", 1);
        load("m-quick", "Quick", 1);
        assertEquals("32", call("GET", "/invoke/m-alloc/", null).body());
        assertEquals("true", call("GET", "/invoke/m-burn/", null).body());
        assertEquals("\"quick\"", call("GET", "/invoke/m-quick/", null).body());

        Map<String, Object> alloc = instance("/status", "m-alloc");
        Map<String, Object> burn = instance("/status", "m-burn");
        Map<String, Object> quick = instance("/status", "m-quick");
        assertTrue(number(alloc, "allocatedBytes") >= 32 * MIB, alloc::toString);
        assertTrue(number(quick, "allocatedBytes") < 32 * MIB, quick::toString);
        assertTrue(((Number) burn.get("cpuMs")).doubleValue() >= 40, burn::toString);
        assertTrue(((Number) quick.get("cpuMs")).doubleValue() < 40, quick::toString);
        assertEquals(128L, number(alloc, "memoryMb"));
        // /health carries the same figures
        assertTrue(number(instance("/health", "m-alloc"), "allocatedBytes") >= 32 * MIB);
        for (String id : List.of("m-alloc", "m-burn", "m-quick")) {
            assertEquals(200, call("POST", "/unload", "{\"id\":\"" + id + "\"}").statusCode());
        }
    }

    @Test
    void aFunctionBusyOnAllItsThreadsHoldsUpOnlyItself() throws Exception {
        load("m-hog", "Hog", 1);
        load("m-next", "Quick", 1);
        CompletableFuture<HttpResponse<String>> sleeping = callAsync("GET", "/invoke/m-hog/", null,
                "X-Nest-Deadline", Long.toString(System.currentTimeMillis() + 1_500));
        while (number(instance("/status", "m-hog"), "threadsBusy") < 1) {
            Thread.onSpinWait(); // until the hog holds its only thread
        }
        // the hog's next request waits behind its own thread and ends at its deadline without running
        HttpResponse<String> queued = call("GET", "/invoke/m-hog/", null,
                "X-Nest-Deadline", Long.toString(System.currentTimeMillis() + 200));
        assertEquals(504, queued.statusCode(), queued::body);
        // its neighbour answers on its own thread meanwhile
        HttpResponse<String> other = call("GET", "/invoke/m-next/", null);
        assertEquals(200, other.statusCode());
        assertEquals(1L, number(instance("/status", "m-hog"), "threadsBusy"));
        assertEquals(504, sleeping.join().statusCode(), "the sleep is interrupted at its deadline");
        assertEquals(200, call("POST", "/unload", "{\"id\":\"m-hog\"}").statusCode());
        assertEquals(200, call("POST", "/unload", "{\"id\":\"m-next\"}").statusCode());
    }
}
