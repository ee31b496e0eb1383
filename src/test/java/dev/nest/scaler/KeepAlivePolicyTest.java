package dev.nest.scaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KeepAlivePolicyTest {
    private static final FixedKeepAlive TEN = new FixedKeepAlive(Duration.ofMinutes(10));
    private static final HistogramKeepAlive POLICY = HistogramKeepAlive.standard(TEN);

    /** A histogram with {@code count} idle times of each of the given minutes (plus 30 s). */
    private static IdleHistogram histogram(int count, int... minutes) {
        IdleHistogram h = IdleHistogram.empty();
        for (int m : minutes) {
            for (int i = 0; i < count; i++) {
                h = h.record(Duration.ofMinutes(m).plusSeconds(30));
            }
        }
        return h;
    }

    private static Duration min(double minutes) {
        return Duration.ofMillis(Math.round(minutes * 60_000));
    }

    static Stream<Arguments> windows() {
        return Stream.of(
                // name, histogram, warmFrom, warmUntil, reason fragment
                Arguments.of("regular 30-minute timer: pre-warm at 0.9 x 30m, keep until 1.1 x 31m",
                        histogram(20, 30), min(27), min(34.1), "p5 30m, p99 31m"),
                Arguments.of("busy function: idle times under a minute, keep 1.1 minutes after the last request",
                        histogram(50, 0), Duration.ZERO, min(1.1), "p5 <1m, p99 1m"),
                Arguments.of("head in bin 0 keeps the instance from the end of the request until the tail",
                        histogram(10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 45), Duration.ZERO, min(50.6), "p99 46m"),
                Arguments.of("two modes: 5th percentile in the first, 99th in the second",
                        histogram(10, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 60), min(10.8), min(67.1), "p5 12m, p99 61m"),
                Arguments.of("too few samples: fixed keep-alive", histogram(9, 30), Duration.ZERO, min(10),
                        "fixed keep-alive 10m (histogram not representative: 9 idle times in range, fewer than 10)"),
                Arguments.of("flat histogram (CV below 2): fixed keep-alive",
                        histogram(1, java.util.stream.IntStream.range(0, 240).toArray()), Duration.ZERO, min(10),
                        "bin-count CV 0.00 below 2.0"),
                Arguments.of("mostly beyond the 4 h range: fixed keep-alive", outOfRange(), Duration.ZERO, min(10),
                        "12 of 22 idle times beyond 4h"));
    }

    private static IdleHistogram outOfRange() {
        IdleHistogram h = histogram(10, 30);
        for (int i = 0; i < 12; i++) {
            h = h.record(Duration.ofHours(5));
        }
        return h;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("windows")
    void histogramWindows(String name, IdleHistogram h, Duration from, Duration until, String reason) {
        KeepAliveWindow w = POLICY.window(h);
        assertEquals(from, w.warmFrom(), w.reason());
        assertEquals(until, w.warmUntil(), w.reason());
        assertTrue(w.reason().contains(reason), w.reason());
    }

    @Test
    void percentilesAndCv() {
        IdleHistogram h = histogram(1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9); // one idle time in each of bins 0..9
        assertEquals(0, h.percentileBin(5));
        assertEquals(4, h.percentileBin(50));
        assertEquals(9, h.percentileBin(99));
        assertEquals(9, h.percentileBin(100));
        assertEquals(10, h.inRange());
        // 10 ones and 230 zeros: mean 1/24, sd sqrt(1/24 - 1/576)
        assertEquals(Math.sqrt(1.0 / 24 - 1.0 / 576) * 24, h.binCountCv(), 1e-9);
        assertEquals(-1, IdleHistogram.empty().percentileBin(50));
        assertEquals(0, IdleHistogram.empty().binCountCv());
        assertEquals(1, IdleHistogram.empty().record(Duration.ofHours(4)).outOfRange());
        assertEquals(1, IdleHistogram.empty().record(Duration.ofHours(4).minusMillis(1)).count(239));
    }

    @Test
    void theHistogramIsImmutable() {
        IdleHistogram empty = IdleHistogram.empty();
        IdleHistogram one = empty.record(Duration.ofMinutes(3));
        assertEquals(0, empty.inRange());
        assertEquals(1, one.count(3));
        assertFalse(empty.equals(one));
    }

    @Test
    void fixedKeepsForItsTimeFromTheEndOfTheLastRequest() {
        KeepAliveWindow w = TEN.window(histogram(50, 30));
        assertTrue(w.warmAt(Duration.ZERO));
        assertTrue(w.warmAt(Duration.ofMinutes(10).minusMillis(1)));
        assertFalse(w.warmAt(Duration.ofMinutes(10)));
        assertEquals("fixed keep-alive 10m", w.reason());
    }

    @Test
    void aPreWarmWindowIsColdBeforeItsStart() {
        KeepAliveWindow w = POLICY.window(histogram(20, 30));
        assertFalse(w.warmAt(Duration.ofMinutes(1)));
        assertTrue(w.warmAt(Duration.ofMinutes(27)));
        assertFalse(w.warmAt(Duration.ofMinutes(35)));
    }
}
