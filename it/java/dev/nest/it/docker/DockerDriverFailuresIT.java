package dev.nest.it.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What operators see when the docker driver cannot work: a wrong socket (or an engine that is down), an
 * engine that accepts connections but never answers, and a missing image. The node stays up, {@code /health} reports the driver unhealthy with what to do, and an
 * invocation fails fast with the same message instead of hanging.
 */
class DockerDriverFailuresIT {
    @TempDir
    static Path scratch;

    /** Needs no engine at all: the socket does not exist. */
    @Test
    void aWrongSocketIsNamedInHealthAndInvocationErrors() {
        String socket = "unix://" + scratch.resolve("no-docker-here.sock");
        String id = "it-nosock-" + UUID.randomUUID().toString().substring(0, 8);
        try (NestServer server = DockerNodes.start(scratch, id, Map.of("host", socket))) {
            Http http = Http.of(server);
            JsonNode h = http.get("/health").json();
            assertFalse(h.path("driver").path("healthy").asBoolean(true), h::toString);
            assertEquals("degraded", h.path("status").asText(), h::toString);
            String detail = h.path("driver").path("detail").asText();
            assertTrue(detail.contains(socket), "names the socket: " + h);
            assertTrue(detail.contains("distribution/setup-engines.sh"), "says what to do: " + h);

            DockerNodes.deploy(http, scratch, "ns", "nodejs", "index.handler", 128, Map.of("index.js", "exports.handler = async () => 1;\n"));
            long t0 = System.nanoTime();
            Http.Response r = http.get("/fn/ns");
            assertTrue(r.status() >= 500, r::toString);
            assertTrue(r.text().contains(socket), "the invocation error names the socket: " + r);
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos(), "fails fast: " + r);
        }
    }

    /** An engine that accepts connections and never answers: every call gives up after the timeout. */
    @Test
    void aHungEngineTimesOutInsteadOfHanging() throws IOException {
        Path socket = scratch.resolve("hung.sock");
        List<SocketChannel> held = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel engine = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            engine.bind(UnixDomainSocketAddress.of(socket));
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        held.add(engine.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            String id = "it-hung-" + UUID.randomUUID().toString().substring(0, 8);
            long t0 = System.nanoTime();
            try (NestServer server = DockerNodes.start(scratch, id, Map.of("host", "unix://" + socket, "timeout", "2s"))) {
                assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(15).toNanos(), "the node starts (orphan removal gave up)");
                Http http = Http.of(server);
                long h0 = System.nanoTime();
                JsonNode h = http.get("/health").json();
                assertTrue(System.nanoTime() - h0 < Duration.ofSeconds(6).toNanos(), "health answers in time: " + h);
                assertFalse(h.path("driver").path("healthy").asBoolean(true), h::toString);
                assertTrue(h.path("driver").path("detail").asText().contains("did not answer"), h::toString);

                DockerNodes.deploy(http, scratch, "nh", "nodejs", "index.handler", 128, Map.of("index.js", "exports.handler = async () => 1;\n"));
                long i0 = System.nanoTime();
                Http.Response r = http.get("/fn/nh");
                assertTrue(r.status() >= 500, r::toString);
                assertTrue(r.text().contains("did not answer"), "names the time-out: " + r);
                assertTrue(System.nanoTime() - i0 < Duration.ofSeconds(10).toNanos(), "fails within the timeout: " + r);
            }
        } finally {
            for (SocketChannel c : held) {
                c.close();
            }
        }
    }

    @Test
    void aMissingImageIsNamedWithTheCommandThatBuildsIt() {
        DockerEngines.requireDocker();
        String image = "nest/no-such-image:" + UUID.randomUUID().toString().substring(0, 8);
        String id = "it-noimage-" + UUID.randomUUID().toString().substring(0, 8);
        try (NestServer server = DockerNodes.start(scratch, id, Map.of("image.nodejs", image))) {
            Http http = Http.of(server);
            DockerNodes.deploy(http, scratch, "ni", "nodejs", "index.handler", 128, Map.of("index.js", "exports.handler = async () => 1;\n"));
            Http.Response r = http.get("/fn/ni");
            assertTrue(r.status() >= 500, r::toString);
            assertTrue(r.text().contains(image), "names the image: " + r);
            assertTrue(r.text().contains("distribution/images/build.sh"), "names the command that builds it: " + r);

            JsonNode h = Poll.until("/health to report the missing image", () -> http.get("/health").json(),
                    n -> !n.path("driver").path("healthy").asBoolean(true));
            assertTrue(h.path("driver").path("detail").asText().contains(image), h::toString);
        } finally {
            DockerNodes.removeAll(id);
        }
    }
}
