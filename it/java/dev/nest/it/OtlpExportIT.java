package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node with {@code tracing.otlp-endpoint} set exports the span of an invocation to a small OTLP/HTTP receiver this
 * test runs on loopback (a JDK HttpServer). The request is OTLP protobuf; the receiver does not decode it but looks
 * for the fields protobuf writes verbatim: the trace id and both span ids as raw bytes, and the attribute names and
 * string values as UTF-8. The span is in the caller's trace, is a child of the caller's span, its id is the parent
 * the function saw in its own {@code traceparent}, and it carries {@code faas.invocation_id}. Needs Node.js (skips
 * loudly without; {@code NEST_REQUIRE_ENGINES=1} fails instead).
 */
class OtlpExportIT {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER = "00f067aa0ba902b7";
    private static final List<byte[]> RECEIVED = new CopyOnWriteArrayList<>();
    private static final List<String> PATHS = new CopyOnWriteArrayList<>();
    private static final HttpServer RECEIVER = receiver();

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node()
            .requires(Engines::requireNode)
            .settings("""
                    tracing:
                      otlp-endpoint: http://127.0.0.1:%d
                      service-name: nest-it
                    """.formatted(RECEIVER.getAddress().getPort()))
            .functions(dir -> Fixtures.nodeFunction(dir, "traced", "", """
                    exports.handler = async (event) => ({ trace: event.headers.traceparent || '' });
                    """));
    static final Http http = node.http();

    private static HttpServer receiver() {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            s.createContext("/", exchange -> {
                try (exchange) {
                    PATHS.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
                            + exchange.getRequestHeaders().getFirst("content-type"));
                    RECEIVED.add(exchange.getRequestBody().readAllBytes());
                    exchange.getResponseHeaders().add("content-type", "application/x-protobuf");
                    exchange.sendResponseHeaders(200, -1); // an empty ExportTraceServiceResponse: all accepted
                }
            });
            s.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stopReceiver() {
        RECEIVER.stop(0);
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void anInvocationWithATraceparentArrivesAsASpanOfThatTrace() {
        Http.Response r = http.send(http.request("/fn/traced").header("traceparent", "00-" + TRACE + "-" + CALLER + "-01")
                .GET());
        assertEquals(200, r.status(), r.toString());
        String invocation = r.header("x-nest-invocation-id").orElseThrow();
        String seen = r.json().path("trace").asText();
        assertTrue(seen.startsWith("00-" + TRACE + "-"), seen);
        String gatewaySpan = seen.substring(36, 52);
        byte[] id = invocation.getBytes(StandardCharsets.UTF_8);
        byte[] span = Poll.until("the invocation's span at the receiver", () -> RECEIVED.stream()
                .filter(b -> contains(b, id)).findFirst(), b -> b.isPresent()).orElseThrow();
        HexFormat hex = HexFormat.of();
        assertTrue(contains(span, hex.parseHex(TRACE)), "the caller's trace id");
        assertTrue(contains(span, hex.parseHex(gatewaySpan)), "the span id the function saw as its parent");
        assertTrue(contains(span, hex.parseHex(CALLER)), "the caller's span as the parent");
        for (String s : List.of("faas.invocation_id", "faas.trigger", "faas.coldstart", "faas.invoked_name", "traced",
                "http.response.status_code", "nest-it", "service.name")) {
            assertTrue(contains(span, s.getBytes(StandardCharsets.UTF_8)), "the request carries " + s);
        }
        assertTrue(PATHS.contains("POST /v1/traces application/x-protobuf"), PATHS.toString());
    }
}
