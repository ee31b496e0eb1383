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
                Arguments.of("0 0 8 * * * 2024", "has 7 fields"),
                Arguments.of("60 * * * *", "Value 60 not in range [0, 59]"),
                Arguments.of("0 24 * * *", "Value 24 not in range [0, 23]"),
                Arguments.of("0 8 0 * *", "Value 0 not in range [1, 31]"),
                Arguments.of("0 8 * FOO *", "Invalid chars: FOO"),
                Arguments.of("0 8 * * FRI-MON", "Invalid range"),
                Arguments.of("60 * * * * *", "Value 60 not in range [0, 59]"),
                Arguments.of("", "empty cron expression"));
    }

    @ParameterizedTest(name = "''{0}''")
    @MethodSource("errors")
    void errorsSayWhatIsWrongAndWhatIsAllowed(String cron, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CronExpression.parse(cron));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().contains("five cron fields"), e.getMessage());
    }

    static Stream<Arguments> seconds() {
        return Stream.of(
                Arguments.of("*/2 * * * * *", "2024-03-04T08:00:02", true),
                Arguments.of("*/2 * * * * *", "2024-03-04T08:00:03", false),
                Arguments.of("30 0 8 * * MON-FRI", "2024-03-04T08:00:30", true),
                Arguments.of("30 0 8 * * MON-FRI", "2024-03-04T08:00:00", false),
                Arguments.of("0 0 12 13 * FRI", "2024-03-15T12:00:00", true)); // Vixie: either day field
    }

    @ParameterizedTest(name = "''{0}'' at {1}: {2}")
    @MethodSource("seconds")
    void sixFieldsHaveSecondsFirst(String cron, String at, boolean expected) {
        assertEquals(expected, CronExpression.parse(cron).matches(LocalDateTime.parse(at)));
        assertTrue(CronExpression.parse(cron).hasSeconds());
    }

    static Stream<Arguments> nextAndLatest() {
        return Stream.of(
                // expression, zone, at, next, latest at or before
                Arguments.of("*/2 * * * * *", "UTC", "2024-03-04T08:00:01Z", "2024-03-04T08:00:02Z", "2024-03-04T08:00:00Z"),
                Arguments.of("*/2 * * * * *", "UTC", "2024-03-04T08:00:02Z", "2024-03-04T08:00:04Z", "2024-03-04T08:00:02Z"),
                Arguments.of("*/2 * * * * *", "UTC", "2024-03-04T08:00:02.500Z", "2024-03-04T08:00:04Z", "2024-03-04T08:00:02Z"),
                Arguments.of("0 8 * * MON-FRI", "UTC", "2024-03-08T09:00:00Z", "2024-03-11T08:00:00Z", "2024-03-08T08:00:00Z"),
                Arguments.of("0 8 * * *", "Asia/Shanghai", "2024-03-04T00:30:00Z", "2024-03-05T00:00:00Z", "2024-03-04T00:00:00Z"));
    }

    @ParameterizedTest(name = "''{0}'' in {1} at {2}")
    @MethodSource("nextAndLatest")
    void nextAndLatestFiring(String cron, String zone, String at, String next, String latest) {
        CronExpression c = CronExpression.parse(cron);
        java.time.Instant t = java.time.Instant.parse(at);
        assertEquals(java.time.Instant.parse(next), c.next(t, java.time.ZoneId.of(zone)).orElseThrow());
        assertEquals(java.time.Instant.parse(latest), c.latest(t, java.time.ZoneId.of(zone)).orElseThrow());
    }
}
