package dev.nest.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of("500ms", Duration.ofMillis(500)),
                Arguments.of("0ms", Duration.ZERO),
                Arguments.of("0s", Duration.ZERO),
                Arguments.of("30s", Duration.ofSeconds(30)),
                Arguments.of("5m", Duration.ofMinutes(5)),
                Arguments.of("2h", Duration.ofHours(2)),
                Arguments.of("1d", Duration.ofDays(1)),
                Arguments.of("1.5s", Duration.ofMillis(1500)),
                Arguments.of("0.5ms", Duration.ofNanos(500_000)),
                Arguments.of("0.25h", Duration.ofMinutes(15)),
                Arguments.of(" 10s ", Duration.ofSeconds(10)),
                Arguments.of("10 s", Duration.ofSeconds(10)),
                Arguments.of("3650d", Duration.ofDays(3650)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("valid")
    void parsesTheDocumentedForms(String text, Duration expected) {
        assertEquals(expected, Durations.parse(text));
    }

    @ParameterizedTest(name = "''{0}'' is refused")
    @ValueSource(strings = {"", " ", "abc", "5", "s", "5 parsecs", "-1s", "+1s", "1.5.2s", "5S", "5MS", "1e3s",
            "5sec", "5 minutes", "1h30m", "P1D", ".5s", "5.s"})
    void refusesOtherFormsNamingTheAllowedForm(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), "names the bad value: " + e.getMessage());
        assertTrue(e.getMessage().contains(Durations.ALLOWED), "names the allowed form: " + e.getMessage());
    }

    @Test
    void refusesNullNamingTheAllowedForm() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(null));
        assertTrue(e.getMessage().contains(Durations.ALLOWED), e.getMessage());
    }

    @ParameterizedTest(name = "{0} ms -> {1}")
    @CsvSource({
            "0, 0ms",
            "1, 1ms",
            "999, 999ms",
            "1000, 1s",
            "1500, 1500ms",
            "30000, 30s",
            "90000, 90s",
            "60000, 1m",
            "300000, 5m",
            "5400000, 90m",
            "3600000, 1h",
            "7200000, 2h",
            "129600000, 36h",
            "86400000, 1d",
            "172800000, 2d",
            "86400001, 86400001ms",
    })
    void formatsTheShortestExactForm(long millis, String expected) {
        assertEquals(expected, Durations.format(Duration.ofMillis(millis)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(longs = {0, 1, 999, 1000, 1001, 59_999, 60_000, 3_599_000, 3_600_000, 86_399_999, 86_400_000,
            90_061_001, 315_360_000_000L})
    void formatThenParseGivesTheSameMillisecondDuration(long millis) {
        Duration d = Duration.ofMillis(millis);
        assertEquals(d, Durations.parse(Durations.format(d)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"1.5ms", "0.5ms", "1.0005s"})
    void formatIsExactForEveryDurationParseAccepts(String text) {
        Duration d = Durations.parse(text);
        assertEquals(d, Durations.parse(Durations.format(d)));
    }
}
