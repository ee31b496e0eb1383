package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.common.Rate;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The spec's {@code limits:} and {@code degrade:} blocks. */
class ProtectionParserTest {
    private static final String BASE = "name: hello\nruntime: nodejs\n";

    private static FunctionSpec parse(String doc) {
        try {
            JsonNode tree = Json.yaml().readTree(doc);
            return SpecParser.parse(tree, "hello.yaml", "", SpecParser.Defaults.STANDARD).spec();
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    private static FunctionSpec roundTrip(FunctionSpec s) {
        return SpecParser.parse(SpecParser.write(s), "written", "", SpecParser.Defaults.STANDARD).spec();
    }

    @Test
    void neitherBlockMeansNoLimitAndNoBreakerAndIsNotWritten() {
        FunctionSpec s = parse(BASE);
        assertEquals(LimitsSpec.NONE, s.limits());
        assertEquals(Optional.empty(), s.degrade());
        assertFalse(SpecParser.write(s).has("limits"));
        assertFalse(SpecParser.write(s).has("degrade"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "'{rate: 100/s, burst: 200}' | 100/s | 200",
        "'{rate: 100/s}'             | 100/s | 100",
        "'{rate: 600/m}'             | 600/m | 600",
        "'{rate: 1000/h}'            | 1000/h | 1000",
        "'{rate: 5/s, burst: 1}'     | 5/s   | 1"})
    void readsALimit(String block, String rate, int burst) {
        FunctionSpec s = parse(BASE + "limits: " + block + "\n");
        assertEquals(new LimitsSpec(Optional.of(Rate.parse(rate)), burst), s.limits());
        assertEquals(s, roundTrip(s));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "'{rate: 100/d}'             | limits.rate  | 100/d | per second, minute or hour",
        "'{rate: 2.5/s}'             | limits.rate  | 2.5/s | written like 100/s, 600/m or 1000/h",
        "'{rate: 100}'               | limits.rate  | 100   | written like 100/s",
        "'{rate: 0/s}'               | limits.rate  | 0/s   | from 1 to",
        "'{rate: [1]}'               | limits.rate  | [1]   | written like 100/s",
        "'{rate: 10/s, burst: 0}'    | limits.burst | 0     | from 1 to 1000000",
        "'{rate: 10/s, burst: many}' | limits.burst | many  | from 1 to 1000000",
        "'{burst: 10}'               | limits.burst | 10    | only with limits.rate",
        "'{rate: 10/s, brust: 3}'    | limits.brust |       | unknown key",
        "'100/s'                     | limits       | 100/s | a mapping with rate"})
    void refusesALimitMistakeNamingTheKey(String block, String key, String value, String allowed) {
        SpecException e = assertThrows(SpecException.class, () -> parse(BASE + "limits: " + block + "\n"));
        assertEquals(1, e.problems().size(), e.problems().toString());
        SpecProblem p = e.problems().getFirst();
        assertEquals(key, p.key());
        assertEquals(value, p.value());
        assertTrue(p.allowed().contains(allowed), p.allowed());
    }

    @Test
    void readsABreakerWithAFixedFallbackAndWritesItBack() {
        FunctionSpec s = parse(BASE + """
                degrade:
                  error-rate: 50%
                  latency: 800ms
                  percentile: 95
                  window: 10s
                  min-requests: 5
                  open-for: 20s
                  half-open-probes: 2
                  fallback:
                    status: 200
                    headers: {Content-Type: application/json}
                    body: '{"items": []}'
                """);
        DegradeSpec d = s.degrade().orElseThrow();
        assertEquals(OptionalInt.of(50), d.errorRate());
        assertEquals(Optional.of(Duration.ofMillis(800)), d.latency());
        assertEquals(95, d.percentile());
        assertEquals(Duration.ofSeconds(10), d.window());
        assertEquals(5, d.minRequests());
        assertEquals(Duration.ofSeconds(20), d.openFor());
        assertEquals(2, d.probes());
        assertEquals(Optional.of(new DegradeSpec.FixedResponse(200, Map.of("content-type", "application/json"),
                "{\"items\": []}")), d.fallback());
        assertEquals(s, roundTrip(s));
    }

    @Test
    void defaultsAndAFunctionFallback() {
        FunctionSpec s = parse(BASE + "degrade: {error-rate: 25, fallback: {function: cached}}\n");
        DegradeSpec d = s.degrade().orElseThrow();
        assertEquals(OptionalInt.of(25), d.errorRate());
        assertEquals(Optional.empty(), d.latency());
        assertEquals(DegradeSpec.DEFAULT_PERCENTILE, d.percentile());
        assertEquals(DegradeSpec.DEFAULT_WINDOW, d.window());
        assertEquals(DegradeSpec.DEFAULT_MIN_REQUESTS, d.minRequests());
        assertEquals(DegradeSpec.DEFAULT_OPEN_FOR, d.openFor());
        assertEquals(DegradeSpec.DEFAULT_PROBES, d.probes());
        assertEquals(Optional.of(new DegradeSpec.FunctionFallback("cached")), d.fallback());
        assertEquals(s, roundTrip(s));
        FunctionSpec latencyOnly = parse(BASE + "degrade: {latency: 2s}\n");
        assertEquals(Optional.empty(), latencyOnly.degrade().orElseThrow().fallback());
        assertEquals(latencyOnly, roundTrip(latencyOnly));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "'{window: 10s}'                           | degrade                  |         | needs error-rate",
        "'{error-rate: 0}'                         | degrade.error-rate       | 0       | from 1 to 100",
        "'{error-rate: 150%}'                      | degrade.error-rate       | 150%    | from 1 to 100",
        "'{error-rate: half}'                      | degrade.error-rate       | half    | like 50%",
        "'{latency: fast}'                         | degrade.latency          | fast    | a number followed by",
        "'{latency: 1s, percentile: 100}'          | degrade.percentile       | 100     | from 50 to 99.9",
        "'{latency: 1s, percentile: 10}'           | degrade.percentile       | 10      | from 50 to 99.9",
        "'{error-rate: 5, window: 11m}'            | degrade.window           | 11m     | from 1s to 10m",
        "'{error-rate: 5, window: 1500ms}'         | degrade.window           | 1500ms  | whole seconds",
        "'{error-rate: 5, min-requests: 0}'        | degrade.min-requests     | 0       | from 1 to 100000",
        "'{error-rate: 5, open-for: 0s}'           | degrade.open-for         | 0s      | from 1s to 1h",
        "'{error-rate: 5, half-open-probes: 0}'    | degrade.half-open-probes | 0       | from 1 to 100",
        "'{error-rate: 5, treshold: 1}'            | degrade.treshold         |         | unknown key",
        "'{error-rate: 5, fallback: cached}'       | degrade.fallback         | cached  | {function: <name>}",
        "'{error-rate: 5, fallback: {function: hello}}' | degrade.fallback.function | hello | another function",
        "'{error-rate: 5, fallback: {function: Bad_Name}}' | degrade.fallback.function | Bad_Name | same namespace",
        "'{error-rate: 5, fallback: {function: a, body: x}}' | degrade.fallback |   | not both",
        "'{error-rate: 5, fallback: {status: 99}}' | degrade.fallback.status  | 99      | from 200 to 599",
        "'{error-rate: 5, fallback: {headers: {content-length: 3}}}' | degrade.fallback.headers.content-length | | sets itself",
        "'{error-rate: 5, fallback: {headers: {x-nest-cold: a}}}' | degrade.fallback.headers.x-nest-cold | | x-nest-*",
        "'{error-rate: 5, fallback: {headers: {bad header: a}}}' | degrade.fallback.headers.bad header | | a header name",
        "'{error-rate: 5, fallback: {body: [1]}}'  | degrade.fallback.body    | [1]     | a string",
        "'plenty'                                  | degrade                  | plenty  | a mapping"})
    void refusesABreakerMistakeNamingTheKey(String block, String key, String value, String allowed) {
        SpecException e = assertThrows(SpecException.class, () -> parse(BASE + "degrade: " + block + "\n"));
        assertEquals(1, e.problems().size(), e.problems().toString());
        SpecProblem p = e.problems().getFirst();
        assertEquals(key, p.key());
        assertEquals(value, p.value());
        assertTrue(p.allowed().contains(allowed), p.allowed());
    }

    @Test
    void aHeaderValueWithALineBreakIsRefused() {
        SpecException e = assertThrows(SpecException.class, () -> parse(BASE
                + "degrade: {error-rate: 5, fallback: {headers: {x-a: \"1\\r\\nset-cookie: a\"}}}\n"));
        assertEquals("degrade.fallback.headers.x-a", e.problems().getFirst().key());
    }
}
