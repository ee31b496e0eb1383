package dev.nest.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /warmup of the Java host: guarded like /load, once, before the first function, and it leaves no trace. */
class JavaHostWarmUpTest {
    private static final String SECRET = "warm-secret";
    private final HttpClient client = HttpClient.newHttpClient();

    @TempDir
    Path tmp;

    private HttpResponse<String> call(JavaHost host, String method, String path, String body, String secret)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + host.port() + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .header("X-Nest-Invocation-Id", "real-1")
                .header("X-Nest-Deadline", Long.toString(System.currentTimeMillis() + 10_000));
        if (secret != null) b.header("X-Nest-Secret", secret);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Set<String> warmUpFolders() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("nest-warmup-"))
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void theWarmUpNeedsTheSecretRunsOnceAndLeavesNothingForTheFirstFunction() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream sink = new PrintStream(out, true, StandardCharsets.UTF_8);
        Set<String> before = warmUpFolders();
        HostSettings settings = new HostSettings("127.0.0.1", 0, SECRET, "pool-java-1", List.of(), sink, sink);
        try (JavaHost host = JavaHost.start(settings)) {
            assertEquals(401, call(host, "POST", "/warmup", "", null).statusCode());
            assertEquals(401, call(host, "POST", "/warmup", "", "wrong").statusCode());
            assertEquals(405, call(host, "GET", "/warmup", "", SECRET).statusCode());

            HttpResponse<String> r = call(host, "POST", "/warmup", "", SECRET);
            assertEquals(200, r.statusCode(), r.body());
            Map<?, ?> m = (Map<?, ?>) Json.parse(r.body().getBytes(StandardCharsets.UTF_8));
            assertEquals(true, m.get("warmedUp"));
            assertEquals(2 * HostWarmUp.ROUNDS, ((Number) m.get("invocations")).intValue());
            assertEquals(409, call(host, "POST", "/warmup", "", SECRET).statusCode(), "once per host");

            Map<?, ?> health = (Map<?, ?>) Json.parse(call(host, "GET", "/health", "", SECRET).body()
                    .getBytes(StandardCharsets.UTF_8));
            assertEquals(List.of(), health.get("instances"), "the warm-up's instance is unloaded");
            assertEquals(before, warmUpFolders(), "its folder is deleted");
            assertEquals("", out.toString(StandardCharsets.UTF_8), "none of its lines is written");

            // the first real function: loads, runs and logs as in a host that never warmed up
            Path code = tmp.resolve("code");
            Files.createDirectories(code);
            HostTraining.writeFunctionJar(code.resolve("function.jar"));
            String load = "{\"id\":\"real-fn\",\"function\":\"f\",\"version\":\"1\",\"codeDir\":" + Json.write(code.toString())
                    + ",\"handler\":" + Json.write(HostTraining.Function.class.getName()) + "}";
            assertEquals(200, call(host, "POST", "/load", load, SECRET).statusCode());
            HttpResponse<String> inv = call(host, "GET", "/invoke/real-fn/x", "", SECRET);
            assertEquals(200, inv.statusCode(), inv.body());
            assertTrue(inv.body().contains("\"env\":\"null\""), "the warm-up's env is not the function's: " + inv.body());
            String lines = out.toString(StandardCharsets.UTF_8);
            assertTrue(lines.contains("\u001eNEST\treal-1\treal-fn\tinfo\ttraining /x"), lines);
            assertFalse(lines.contains("nest-warmup"), lines);
        }
    }

    @Test
    void aHostThatLoadedAFunctionRefusesTheWarmUp() throws Exception {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        HostSettings settings = new HostSettings("127.0.0.1", 0, SECRET, "pod", List.of(), sink, sink);
        try (JavaHost host = JavaHost.start(settings)) {
            Path code = tmp.resolve("code");
            Files.createDirectories(code);
            HostTraining.writeFunctionJar(code.resolve("function.jar"));
            String load = "{\"id\":\"a\",\"codeDir\":" + Json.write(code.toString())
                    + ",\"handler\":" + Json.write(HostTraining.Function.class.getName()) + "}";
            assertEquals(200, call(host, "POST", "/load", load, SECRET).statusCode());
            assertEquals(200, call(host, "POST", "/unload", "{\"id\":\"a\"}", SECRET).statusCode());
            HttpResponse<String> r = call(host, "POST", "/warmup", "", SECRET);
            assertEquals(409, r.statusCode());
            assertTrue(r.body().contains("before the first /load"), r.body());
        }
    }
}
