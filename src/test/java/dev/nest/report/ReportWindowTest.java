package dev.nest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ReportWindowTest {
    @ParameterizedTest
    @ValueSource(strings = {"", "1H", "2h", "-5m", "5 m", "1d", "999999999999999999999999999999999999999999999999",
            "1h;DROP TABLE report_buckets", "7d\n"})
    void unknownWindowsAreRefusedNamingTheAllowedOnes(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReportWindow.parse(text));
        assertTrue(e.getMessage().startsWith("window: '"), e.getMessage());
        assertTrue(e.getMessage().endsWith("use one of 5m, 15m, 1h, 6h, 24h, 7d"), e.getMessage());
        assertTrue(e.getMessage().length() < 120, e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"5m, PT5M, 60, 60", "1h, PT1H, 60, 60", "24h, PT24H, 60, 900", "7d, PT168H, 3600, 3600"})
    void knownWindows(String text, String length, int resolution, int step) {
        ReportWindow w = ReportWindow.parse(text);
        assertEquals(Duration.parse(length), w.length());
        assertEquals(resolution, w.resolution().seconds());
        assertEquals(step, w.stepSeconds());
        assertEquals(text, w.label());
    }

    @ParameterizedTest
    @CsvSource({"PT1M, 5m", "PT5M, 5m", "PT6M, 15m", "PT30M, 1h", "PT2H, 6h", "PT48H, 7d", "PT1000H, 7d"})
    void coveringPicksTheSmallestLongEnoughWindow(String d, String expected) {
        assertEquals(expected, ReportWindow.covering(Duration.parse(d)).label());
    }
}
