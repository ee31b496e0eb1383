package dev.nest.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.async.Destinations;
import dev.nest.common.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AlertRuleTest {
    private static final Destinations ALLOW = new Destinations(List.of("hooks.example.com"));
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private static AlertRule parse(String json) {
        return AlertRule.parse("r", Json.tree(json.getBytes(StandardCharsets.UTF_8), "rule"), ALLOW::refusal, NOW);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            error-rate > 0.05 over 5m   | ERROR_RATE   | 0.05     | 5m  | error-rate > 5% over 5m
            error-rate > 5% over 15m    | ERROR_RATE   | 0.05     | 15m | error-rate > 5% over 15m
            error-rate>12.5%            | ERROR_RATE   | 0.125    | 5m  | error-rate > 12.5% over 5m
            p99 > 500ms over 1h         | P99          | 500      | 1h  | p99 > 500ms over 1h
            p95 > 2s                    | P95          | 2000     | 5m  | p95 > 2000ms over 5m
            throttles > 10 over 5m      | THROTTLES    | 10       | 5m  | throttles > 10 over 5m
            dead-letters > 0 over 24h   | DEAD_LETTERS | 0        | 24h | dead-letters > 0 over 24h
            cron-stalled > 2m           | CRON_STALLED | 120000   | 5m  | cron-stalled > 120000ms
            error-rate > 33.3%          | ERROR_RATE   | 0.333    | 5m  | error-rate > 33.3% over 5m
            error-rate > 0.0001         | ERROR_RATE   | 0.0001   | 5m  | error-rate > 0.01% over 5m
            p99 > 0.1234s               | P99          | 123.4    | 5m  | p99 > 123.4ms over 5m
            p99 > 1.5m over 7d          | P99          | 90000    | 7d  | p99 > 90000ms over 7d
            errors > 1000000            | ERRORS       | 1000000  | 5m  | errors > 1000000 over 5m
            """)
    void readsConditions(String when, Metric metric, double threshold, String over, String shown) {
        AlertRule r = parse("{\"namespace\":\"shop\",\"function\":\"cart\",\"when\":\"" + when
                + "\",\"webhook\":\"https://hooks.example.com/T1\"}");
        assertEquals(metric, r.metric());
        assertEquals(threshold, r.threshold());
        assertEquals(over, r.over().label());
        assertEquals(shown, r.when());
        assertEquals("shop/cart", r.scope().name());
        assertEquals(r, AlertRule.fromBytes(r.toBytes()), "stored form round-trips");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"when":"error-rate > 5%"}                                                      | webhook: missing
            {"when":"latency > 5","webhook":"https://hooks.example.com/x"}                  | metric 'latency' is not known
            {"when":"error-rate > 5","webhook":"https://hooks.example.com/x"}               | a fraction from 0 to below 1
            {"when":"error-rate > 100%","webhook":"https://hooks.example.com/x"}            | a fraction from 0 to below 1
            {"when":"p99 > 500","webhook":"https://hooks.example.com/x"}                    | with its unit
            {"when":"throttles > 1.5","webhook":"https://hooks.example.com/x"}              | a whole number
            {"when":"throttles > 1 over 2h","webhook":"https://hooks.example.com/x"}        | the window: '2h' is not allowed
            {"when":"p99 < 5ms","webhook":"https://hooks.example.com/x"}                    | is not a condition
            {"when":"p99 > -5ms","webhook":"https://hooks.example.com/x"}                   | is not a condition
            {"when":"dead-letters > 0","namespace":"shop","webhook":"https://hooks.example.com/x"} | function: missing
            {"when":"p99 > 5ms","trigger":"t","function":"f","webhook":"https://hooks.example.com/x"} | only a cron-stalled rule
            {"when":"p99 > 5ms","webhook":"https://evil.example.org/x"}                     | is not on async.destinations.allow
            {"when":"p99 > 5ms","webhook":"file:///etc/passwd"}                             | is not allowed; use an http(s) URL
            {"when":"p99 > 5ms","webhook":"https://u:p@hooks.example.com/x"}                | no user info
            {"when":"p99 > 5ms","webhook":"https://hooks.example.com/x","namespace":"A B"}  | namespace: 'A B' is not valid
            {"when":"p99 > 5ms","webhook":"https://hooks.example.com/x","function":7}       | function: 7 is not a string
            {"when":"p99 > 5ms","webhook":"https://hooks.example.com/x","extra":1}          | unknown key 'extra'
            {"webhook":"https://hooks.example.com/x"}                                       | when: missing
            """)
    void refusesNamingTheKey(String json, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(json));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"'../x'", "'A'", "''", "'a_b'"})
    void refusesBadNames(String name) {
        assertThrows(IllegalArgumentException.class, () -> AlertRule.parse(name, Json.tree(
                "{\"when\":\"p99 > 5ms\",\"webhook\":\"https://hooks.example.com/x\"}".getBytes(StandardCharsets.UTF_8),
                "r"), u -> Optional.empty(), NOW));
    }
}
