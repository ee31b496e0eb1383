package dev.nest.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WebhooksTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private final List<Duration> pauses = new ArrayList<>();
    private final List<String> sent = new ArrayList<>();

    private static Notification firing() {
        AlertRule rule = AlertRule.parse("cart-errors", Json.tree(("{\"namespace\":\"shop\",\"function\":\"cart\","
                + "\"when\":\"error-rate > 5% over 5m\",\"webhook\":\"https://hooks.example.com/T1\"}")
                .getBytes(StandardCharsets.UTF_8), "r"), u -> Optional.empty(), NOW);
        return new Notification(rule, new AlertStatus("cart-errors", AlertState.FIRING, NOW, Optional.of(0.125), ""), NOW);
    }

    @Test
    void aFailingWebhookIsTriedWithDoublingPausesThenGivenUp() throws Exception {
        Webhooks w = new Webhooks((url, json) -> {
            sent.add(url.toString());
            throw new IOException("503");
        }, pauses::add, u -> Optional.empty());
        assertFalse(w.deliver(firing()));
        assertEquals(Webhooks.ATTEMPTS, sent.size());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8)),
                pauses);
        assertEquals(1, w.failed());
    }

    @Test
    void aWebhookThatRecoversGetsTheMessageOnce() throws Exception {
        List<JsonNode> bodies = new ArrayList<>();
        Webhooks w = new Webhooks((url, json) -> {
            if (sent.size() < 2) {
                sent.add("fail");
                throw new IOException("timeout");
            }
            sent.add("ok");
            bodies.add(Json.tree(json, "body"));
        }, pauses::add, u -> Optional.empty());
        assertTrue(w.deliver(firing()));
        assertEquals(List.of("fail", "fail", "ok"), sent);
        JsonNode b = bodies.getFirst();
        assertEquals("[FIRING] cart-errors: shop/cart error-rate > 5% over 5m (now 12.50%)", b.get("text").asText());
        assertEquals("firing", b.get("state").asText());
        assertEquals("cart", b.get("function").asText());
        assertEquals(0.125, b.get("value").asDouble());
        assertEquals(1, w.delivered());
    }

    @Test
    void aHostNoLongerAllowedIsNotCalled() throws Exception {
        Webhooks w = new Webhooks((url, json) -> sent.add(url.toString()), pauses::add,
                u -> Optional.of("the host 'hooks.example.com' is not on async.destinations.allow"));
        assertFalse(w.deliver(firing()));
        assertTrue(sent.isEmpty());
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() {
        Webhooks w = new Webhooks((url, json) -> { }, pauses::add, u -> Optional.empty()); // not started
        for (int i = 0; i < Webhooks.QUEUE + 3; i++) {
            w.send(firing());
        }
        assertEquals(3, w.dropped());
        w.close();
    }

    @Test
    void theHttpTransportPostsJson() throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        List<String> got = new ArrayList<>();
        server.createContext("/", x -> {
            got.add(x.getRequestMethod() + " " + x.getRequestHeaders().getFirst("content-type") + " "
                    + new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            x.sendResponseHeaders(x.getRequestURI().getPath().equals("/bad") ? 500 : 200, -1);
            x.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            Webhooks.http().post(URI.create(base + "/ok"), "{\"text\":\"hi\"}".getBytes(StandardCharsets.UTF_8));
            assertEquals(List.of("POST application/json {\"text\":\"hi\"}"), got);
            try {
                Webhooks.http().post(URI.create(base + "/bad"), new byte[]{'{', '}'});
                throw new AssertionError("a 500 is not taken");
            } catch (IOException expected) {
                assertTrue(expected.getMessage().contains("500"));
            }
        } finally {
            server.stop(0);
        }
    }
}
