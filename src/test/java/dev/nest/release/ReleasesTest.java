package dev.nest.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.Alias;
import dev.nest.function.Release;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReleasesTest {
    private static Releases.Request parse(String json) {
        return Releases.parse(Json.tree(json.getBytes(), "test"));
    }

    @Test
    void readsTheIssuesExampleAndFillsDefaults() {
        Releases.Request r = parse("{\"to\": 3, \"steps\": [10, 25, 50, 100], \"interval\": \"1m\", \"max-error-rate\": \"1%\","
                + " \"max-p99\": \"500ms\", \"min-requests\": 100}");
        assertEquals(new Releases.Request(3, List.of(10, 25, 50, 100), Releases.DEFAULTS), r);
        assertEquals(new Releases.Request(2, Releases.DEFAULT_STEPS, new Release.Settings(Duration.ofSeconds(2), 0.005,
                Duration.ofMillis(500), 2, 100)), parse("{\"to\": 2, \"interval\": \"2s\", \"max-error-rate\": 0.5, \"max-p99-ratio\": 2}"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # body                                         | key named
            []                                             | JSON object
            {}                                             | 'to'
            {"to": 0}                                      | 'to'
            {"to": "3"}                                    | 'to'
            {"to": 3, "steps": []}                         | 'steps'
            {"to": 3, "steps": [50, 10]}                   | 'steps'
            {"to": 3, "steps": [10, 101]}                  | 'steps'
            {"to": 3, "steps": [10, 10]}                   | 'steps'
            {"to": 3, "interval": "0s"}                    | 'interval'
            {"to": 3, "interval": "soon"}                  | 'interval'
            {"to": 3, "interval": 60}                      | 'interval'
            {"to": 3, "max-error-rate": "101%"}            | 'max-error-rate'
            {"to": 3, "max-error-rate": "a%"}              | 'max-error-rate'
            {"to": 3, "max-p99": "1h"}                     | 'max-p99'
            {"to": 3, "max-p99-ratio": 0.5}                | 'max-p99-ratio'
            {"to": 3, "min-requests": 0}                   | 'min-requests'
            {"to": 3, "min-requests": 1.5}                 | 'min-requests'
            {"to": 3, "maxErrorRate": "1%"}                | 'maxErrorRate'
            """)
    void refusesABodyNamingTheKey(String body, String key) {
        NestException e = assertThrows(NestException.class, () -> parse(body));
        assertEquals(400, e.status());
        assertTrue(e.detail().contains(key), e.detail());
    }

    @Test
    void readsAFilesReleaseBlockWithTheRequestsRules() {
        assertEquals(new Releases.Plan(List.of(10, 25, 50, 100), Releases.DEFAULTS), Releases.plan(Json.tree(
                ("{\"steps\": [10, 25, 50, 100], \"interval\": \"1m\", \"max-error-rate\": \"1%\", \"max-p99\": \"500ms\","
                        + " \"min-requests\": 100}").getBytes(), "t"), "release"));
        assertEquals(new Releases.Plan(Releases.DEFAULT_STEPS, Releases.DEFAULTS), Releases.plan(Json.tree("{}".getBytes(),
                "t"), "release"), "every key is optional");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # block                                        | named
            []                                             | key 'release': value '[]' is not valid; allowed: a map of
            {"to": 3}                                      | key 'release.to' is not known
            {"steps": [50, 10]}                            | key 'release.steps': value '[50,10]' is not valid; allowed: 1 to 20 percents
            {"interval": "0s"}                             | key 'release.interval': value '"0s"' is not valid
            {"max-error-rate": "2 percent"}                | key 'release.max-error-rate': value '"2 percent"' is not valid; allowed: a percent
            {"max-p99": 500}                               | key 'release.max-p99': value '500' is not valid
            {"min-requests": -1}                           | key 'release.min-requests': value '-1' is not valid
            """)
    void refusesAReleaseBlockNamingKeyValueAndTheAllowedForm(String block, String named) {
        NestException e = assertThrows(NestException.class, () -> Releases.plan(Json.tree(block.getBytes(), "t"), "release"));
        assertEquals(400, e.status());
        assertTrue(e.detail().startsWith(named), e.detail());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # body                                          | weights
            {"versions": {"1": 90, "2": 10}}                | {1=90, 2=10}
            {"version": 2}                                  | {2=100}
            {"versions": {"1": 100, "2": 0}}                | {1=100}
            """)
    void readsAnAlias(String body, String weights) {
        assertEquals(weights, Aliases.parse(Json.tree(body.getBytes(), "test")).weights().toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # body                                          | named
            {"versions": {"1": 90, "2": 20}}                | sum to 110
            {"versions": {}}                                | 'versions'
            {"versions": {"x": 100}}                        | 'x' is not a version
            {"versions": {"1": 50.5, "2": 49.5}}            | 'versions.1'
            {"versions": {"1": 101}}                        | 'versions.1'
            {"version": 0}                                  | 'version'
            {"version": 1, "versions": {"1": 100}}          | not both
            {"version": 1, "sticky": "query:x"}             | 'sticky'
            {"version": 1, "weights": {}}                   | 'weights'
            """)
    void refusesAnAliasNamingWhatIsWrong(String body, String named) {
        NestException e = assertThrows(NestException.class, () -> Aliases.parse(Json.tree(body.getBytes(), "test")));
        assertEquals(400, e.status());
        assertTrue(e.detail().contains(named), e.detail());
    }

    @Test
    void aStickyAliasKeepsItsSetting() {
        Alias a = Aliases.parse(Json.tree("{\"versions\": {\"1\": 50, \"2\": 50}, \"sticky\": \"cookie:sid\"}".getBytes(), "t"));
        assertEquals(Optional.of(Alias.Sticky.parse("cookie:sid")), a.sticky());
        assertEquals(Map.of("name", "beta", "versions", Map.of("1", 50, "2", 50), "sticky", "cookie:sid"), Aliases.view("beta", a));
    }
}
