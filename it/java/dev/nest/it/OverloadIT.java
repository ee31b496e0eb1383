package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gateway under a flood and its refusals: a 100 ms Node.js function with two instances of concurrency 1 (a
 * capacity of 20 requests a second) offered 10 times that for 15 s from loopback; a rate-limited function; a function
 * whose circuit breaker opens and closes again. Only facts are asserted (every refusal says when to come back, no
 * 5xx but 503, some requests succeed); the goodput against capacity is printed here and measured by
 * {@code distribution/bench-overload.sh}.
 */
class OverloadIT {
    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(OverloadIT::writeFunctions);
    private static final double CAPACITY = OverloadRun.CAPACITY;
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        Fixtures.nodeFunction(functions, "slow", OverloadRun.SLOW_SPEC, OverloadRun.SLOW_CODE);
        Fixtures.nodeFunction(functions, "limited", "limits:\n  rate: 5/s\n  burst: 5\n",
                "exports.handler = async () => ({ ok: true });\n");
        Fixtures.nodeFunction(functions, "flaky", """
                degrade:
                  error-rate: 50%
                  min-requests: 4
                  window: 30s
                  open-for: 2s
                  half-open-probes: 1
                  fallback:
                    status: 200
                    headers: {content-type: application/json}
                    body: '{"cached": true}'
                """, """
                exports.handler = async (event) => {
                  if (event.query.fail) throw new Error('down');
                  return { fresh: true };
                };
                """);
    }

    @Test
    void atTenTimesCapacityEveryRefusalSaysWhenToRetryAndOnlyThoseFail() {
        Poll.until("two warm instances of slow", () -> http.get("/api/v1/functions/slow/instances").json(),
                j -> j.isArray() && countReady(j) >= 2);
        for (int i = 0; i < 5; i++) {
            assertEquals(200, http.get("/fn/slow").status());
        }
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        OverloadRun.Result r = OverloadRun.run(client, URI.create(http.base() + "/fn/slow"), 10 * CAPACITY,
                Duration.ofSeconds(15), Duration.ofSeconds(30));
        System.out.printf("OverloadIT: %d sent at %.0f/s for %.1f s; statuses %s; goodput %.1f/s = %.0f%% of capacity "
                        + "%.0f/s; successes p50 %.0f ms, p99 %.0f ms; per second %s%n", r.sent(), 10 * CAPACITY,
                r.seconds(), r.statuses(), r.goodput(), 100 * r.goodput() / CAPACITY, CAPACITY,
                r.successPercentile(50), r.successPercentile(99), java.util.Arrays.toString(r.successesPerSecond()));
        assertTrue(r.successes() > 0, "some requests succeed under overload: " + r.statuses());
        assertEquals(List.of(), r.refusalsWithoutHint().stream().limit(5).toList(),
                "every 429 and 503 carries Retry-After and the same retryAfterSeconds");
        List<Integer> otherFailures = new ArrayList<>();
        r.statuses().forEach((status, n) -> {
            if (status < 200 || status >= 500 && status != 503) {
                otherFailures.add(status);
            }
        });
        assertEquals(List.of(), otherFailures, "no 5xx but 503, and every request answered: " + r.statuses());
        assertEquals(r.sent(), r.statuses().values().stream().mapToInt(Integer::intValue).sum());
    }

    private static int countReady(JsonNode instances) {
        int n = 0;
        for (JsonNode i : instances) {
            if ("READY".equalsIgnoreCase(i.path("state").asText())) {
                n++;
            }
        }
        return n;
    }

    @Test
    void overItsRateAFunctionAnswers429WithRetryAfter() {
        int ok = 0;
        List<Http.Response> refused = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            Http.Response r = http.get("/fn/limited");
            if (r.status() == 200) {
                ok++;
            } else {
                refused.add(r);
            }
        }
        assertTrue(ok >= 5, "the burst of 5 passes: " + ok);
        assertTrue(!refused.isEmpty(), "30 calls in a row exceed 5/s");
        for (Http.Response r : refused) {
            assertEquals(429, r.status(), r.toString());
            int seconds = Integer.parseInt(r.header("retry-after").orElseThrow());
            assertTrue(seconds >= 1 && seconds <= 60, r.toString());
            assertEquals(seconds, r.json().path("retryAfterSeconds").asInt(), r.toString());
            assertEquals("rate limited", r.json().path("error").asText());
            assertTrue(r.json().path("detail").asText().contains("limited to 5/s"), r.toString());
            assertTrue(r.header("x-nest-invocation-id").isPresent(), r.toString());
        }
        String metrics = http.get("/metrics").text();
        assertTrue(metrics.contains("nest_rate_limited_total{function=\"default/limited\",limit=\"function\"} "
                + refused.size()), metrics);
    }

    @Test
    void aBrokenFunctionIsServedByItsFallbackUntilAProbeSucceeds() {
        for (int i = 0; i < 4; i++) {
            assertEquals(500, http.get("/fn/flaky?fail=1").status());
        }
        Http.Response degraded = Poll.until("the breaker to open", () -> http.get("/fn/flaky"),
                r -> r.header("x-nest-degraded").isPresent());
        assertEquals(200, degraded.status());
        assertEquals("{\"cached\": true}", degraded.text());
        assertEquals("application/json", degraded.header("content-type").orElseThrow());
        JsonNode state = http.get("/api/v1/functions/flaky/degrade").json();
        assertEquals("open", state.path("state").asText(), state.toString());
        assertEquals("open", state.path("transitions").get(0).path("to").asText(), state.toString());
        assertTrue(state.path("transitions").get(0).path("reason").asText().contains("4 of 4 calls failed"),
                state.toString());
        assertTrue(http.get("/metrics").text().contains("nest_degrade_state{function=\"default/flaky\",state=\"open\"} 1"));
        // after open-for (2 s) one probe goes to the function; it succeeds and closes the breaker
        Http.Response fresh = Poll.until("a probe to reach the function", () -> http.get("/fn/flaky"),
                r -> r.header("x-nest-degraded").isEmpty());
        assertEquals("{\"fresh\":true}", fresh.text().replace(" ", ""));
        JsonNode closed = Poll.until("the breaker to close", () -> http.get("/api/v1/functions/flaky/degrade").json(),
                j -> j.path("state").asText().equals("closed"));
        List<String> to = new ArrayList<>();
        closed.path("transitions").forEach(t -> to.add(t.path("to").asText()));
        assertEquals(List.of("closed", "half-open", "open"), to, closed.toString());
        assertTrue(closed.path("fallbacks").asLong() >= 1);
        assertEquals(1, closed.path("opened").asLong());
    }
}
