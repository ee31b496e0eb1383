package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CronExpressionTest {

    static Stream<Arguments> matches() {
        // 2024-03-04 is a Monday
        return Stream.of(
                Arguments.of("0 8 * * MON-FRI", "2024-03-04T08:00", true),
                Arguments.of("0 8 * * MON-FRI", "2024-03-04T08:01", false),
                Arguments.of("0 8 * * MON-FRI", "2024-03-09T08:00", false), // Saturday
                Arguments.of("0 8 * * 1-5", "2024-03-08T08:00", true), // Friday
                Arguments.of("*/15 * * * *", "2024-03-04T13:45", true),
                Arguments.of("*/15 * * * *", "2024-03-04T13:50", false),
                Arguments.of("5/20 9-17 * * *", "2024-03-04T17:45", true),
                Arguments.of("5/20 9-17 * * *", "2024-03-04T18:05", false),
                Arguments.of("0 0 1 JAN,jul *", "2024-07-01T00:00", true),
                Arguments.of("0 0 1 JAN,jul *", "2024-06-01T00:00", false),
                Arguments.of("30 6 * * 0", "2024-03-10T06:30", true), // Sunday as 0
                Arguments.of("30 6 * * 7", "2024-03-10T06:30", true), // Sunday as 7
                Arguments.of("30 6 * * SUN", "2024-03-11T06:30", false),
                // both day fields restricted: either matches (Vixie cron)
                Arguments.of("0 12 13 * FRI", "2024-03-13T12:00", true), // the 13th, a Wednesday
                Arguments.of("0 12 13 * FRI", "2024-03-15T12:00", true), // a Friday, the 15th
                Arguments.of("0 12 13 * FRI", "2024-03-14T12:00", false),
                Arguments.of("0 12 13 * *", "2024-03-15T12:00", false));
    }

    @ParameterizedTest(name = "''{0}'' at {1}: {2}")
    @MethodSource("matches")
    void matchesLocalMinutes(String cron, String at, boolean expected) {
        assertEquals(expected, CronExpression.parse(cron).matches(LocalDateTime.parse(at)));
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("0 8 * *", "has 4 fields"),
                Arguments.of("60 * * * *", "minute field '60': 60 is outside 0..59"),
                Arguments.of("0 24 * * *", "hour field '24': 24 is outside 0..23"),
                Arguments.of("0 8 0 * *", "day-of-month field '0': 0 is outside 1..31"),
                Arguments.of("0 8 * FOO *", "month field 'FOO': 'FOO' is not a number from 1 to 12 or a name JAN..DEC"),
                Arguments.of("0 8 * * FRI-MON", "day-of-week range 'FRI-MON' in 'FRI-MON' runs backwards"),
                Arguments.of("*/0 * * * *", "minute field '*/0': 0 is outside 1..60"),
                Arguments.of("", "empty cron expression"));
    }

    @ParameterizedTest(name = "''{0}''")
    @MethodSource("errors")
    void errorsNameTheFieldAndTheRange(String cron, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CronExpression.parse(cron));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
