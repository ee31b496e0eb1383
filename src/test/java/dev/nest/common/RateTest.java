package dev.nest.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rates written {@code 100/s} or {@code 600/m}. */
class RateTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "100/s      | 100/s | 100",
        "' 5 / s '  | 5/s   | 5",
        "600/m      | 600/m | 10",
        "1/m        | 1/m   | 0.016666666666666666",
        "10000000/s | 10000000/s | 10000000"})
    void readsAndPrints(String text, String printed, double perSecond) {
        Rate r = Rate.parse(text);
        assertEquals(printed, r.toString());
        assertEquals(perSecond, r.perSecond(), 1e-9);
        assertEquals(r, Rate.parse(r.toString()));
        assertEquals(1e9 / perSecond, r.nanosPerRequest(), 1e-3 * r.nanosPerRequest());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "100       | per second or per minute",
        "100/h     | the unit is /s (per second) or /m (per minute)",
        "100/sec   | the unit is /s",
        "0/s       | from 1 to",
        "-1/s      | per second or per minute",
        "1.5/s     | per second or per minute",
        "10000001/s| from 1 to",
        "abc       | per second or per minute",
        "/s        | per second or per minute"})
    void refusesWhatIsNotARateSayingWhatIs(String text, String says) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rate.parse(text));
        assertTrue(e.getMessage().contains(says), e.getMessage());
        assertTrue(e.getMessage().contains(text.trim()), "names the value: " + e.getMessage());
    }
}
