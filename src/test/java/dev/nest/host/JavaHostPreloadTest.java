package dev.nest.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** NEST_PRELOAD: the host initialises the named classes before it reports ready, and says which ones it loaded. */
class JavaHostPreloadTest {
    static final AtomicInteger PROBE_INITS = new AtomicInteger();
    private static final String SECRET = "preload-secret";

    @Test
    void namedClassesAreInitialisedBeforeTheHostIsReady() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        HostSettings settings = HostSettings.fromEnv(Map.of("NEST_HOST_PORT", "0", "NEST_HOST_SECRET", SECRET,
                        "NEST_PRELOAD", "dev.nest.host.PreloadProbe, ,no.such.Preloaded"))
                .withLogSinks(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(List.of("dev.nest.host.PreloadProbe", "no.such.Preloaded"), settings.preload());
        try (JavaHost host = JavaHost.start(settings);
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            assertTrue(host.ready());
            assertEquals(1, PROBE_INITS.get(), "the class was initialised (static init ran) by the preload");
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + host.port() + "/health"))
                    .header("X-Nest-Secret", SECRET).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            assertTrue(health.body().contains("\"preloaded\":[\"dev.nest.host.PreloadProbe\"]"), health.body());
            String log = err.toString(StandardCharsets.UTF_8);
            assertTrue(log.contains("preload of no.such.Preloaded failed"), log);
        }
    }
}
