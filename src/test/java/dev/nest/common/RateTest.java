package dev.nest.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rates written {@code 100/s}, {@code 600/m} or {@code 1000/h}: the one form of functions', namespaces' and tokens'. */
class RateTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "100/s      | 100/s      | 100                    | 100",
        "' 5 / s '  | 5/s        | 5                      | 5",
        "600/m      | 600/m      | 10                     | 600",
        "1/m        | 1/m        | 0.016666666666666666   | 1",
        "1000/h     | 1000/h     | 0.2777777777777778     | 1000",
        "1/h        | 1/h        | 0.0002777777777777778  | 1",
        "3600/h     | 3600/h     | 1                      | 3600",
        "10000000/s | 10000000/s | 10000000               | 1000000",
        "10000000/h | 10000000/h | 2777.777777777778      | 1000000"})
    void readsAndPrints(String text, String printed, double perSecond, int defaultBurst) {
        Rate r = Rate.parse(text);
        assertEquals(printed, r.toString());
        assertEquals(perSecond, r.perSecond(), 1e-9 * perSecond);
        assertEquals(r, Rate.parse(r.toString()));
        assertEquals(1e9 / perSecond, r.nanosPerRequest(), 1e-3 * r.nanosPerRequest());
        assertEquals(defaultBurst, r.defaultBurst(), "the count, at most " + Rate.MAX_BURST);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "100       | per second, minute or hour",
        "100/d     | the unit is /s (per second), /m (per minute) or /h (per hour)",
        "100/sec   | the unit is /s",
        "100/hour  | the unit is /s",
        "100/S     | per second, minute or hour",
        "0/s       | from 1 to",
        "0/h       | from 1 to",
        "-1/s      | per second, minute or hour",
        "1.5/s     | per second, minute or hour",
        "0.5/s     | written like 100/s, 600/m or 1000/h",
        "10000001/s| from 1 to",
        "abc       | per second, minute or hour",
        "/s        | per second, minute or hour"})
    void refusesWhatIsNotARateSayingWhatIs(String text, String says) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rate.parse(text));
        assertTrue(e.getMessage().contains(says), e.getMessage());
        assertTrue(e.getMessage().contains(text.trim()), "names the value: " + e.getMessage());
    }

    @Test
    void aKeyedReadNamesTheKeyTheValueAndTheAllowedForm() {
        assertEquals(Rate.parse("600/m"), Rate.parse("limits.rate", "600/m"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rate.parse("limits.rate", "2.5/s"));
        assertEquals("key 'limits.rate': value '2.5/s' is not valid; allowed: " + Rate.ALLOWED, e.getMessage());
    }

    @Test
    void aRateOutOfRangeCannotBeBuilt() {
        assertThrows(IllegalArgumentException.class, () -> new Rate(0, Rate.Unit.HOUR));
        assertThrows(IllegalArgumentException.class, () -> new Rate(Rate.MAX_COUNT + 1, Rate.Unit.SECOND));
        assertThrows(IllegalArgumentException.class, () -> new Rate(1, null));
    }
}
