package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ScheduleRuleTest {
    private static ScheduleRule rule(String cron, Duration d, String zone) {
        return new ScheduleRule(CronExpression.parse(cron), d, 5, ZoneId.of(zone));
    }

    static Stream<Arguments> windows() {
        ScheduleRule shanghai = rule("0 8 * * MON-FRI", Duration.ofHours(2), "Asia/Shanghai");
        ScheduleRule newYork = rule("0 8 * * *", Duration.ofHours(1), "America/New_York");
        ScheduleRule lateNight = rule("0 23 * * FRI", Duration.ofHours(3), "Europe/Berlin");
        return Stream.of(
                // Shanghai is UTC+8: a Monday 08:00 window is Sunday/Monday 00:00-02:00 UTC
                Arguments.of(shanghai, "2024-03-04T00:00:00Z", "2024-03-04T02:00:00Z"),
                Arguments.of(shanghai, "2024-03-04T01:59:59Z", "2024-03-04T02:00:00Z"),
                Arguments.of(shanghai, "2024-03-04T02:00:00Z", null),
                Arguments.of(shanghai, "2024-03-03T23:59:59Z", null), // Monday 07:59:59 local
                Arguments.of(shanghai, "2024-03-09T00:30:00Z", null), // Saturday 08:30 local (Friday in UTC)
                Arguments.of(shanghai, "2024-03-08T00:30:00Z", "2024-03-08T02:00:00Z"), // Friday 08:30 local
                // New York: 08:00 local is 13:00 UTC in winter and 12:00 UTC after the spring change (2024-03-10)
                Arguments.of(newYork, "2024-03-09T13:30:00Z", "2024-03-09T14:00:00Z"),
                Arguments.of(newYork, "2024-03-09T12:30:00Z", null),
                Arguments.of(newYork, "2024-03-11T12:30:00Z", "2024-03-11T13:00:00Z"),
                Arguments.of(newYork, "2024-03-11T13:30:00Z", null),
                // a window that crosses local midnight: Friday 23:00 Berlin (UTC+1) until Saturday 02:00
                Arguments.of(lateNight, "2024-03-09T00:30:00Z", "2024-03-09T01:00:00Z"),
                Arguments.of(lateNight, "2024-03-09T01:00:00Z", null));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("windows")
    void activeUntil(ScheduleRule rule, String now, String until) {
        assertEquals(Optional.ofNullable(until).map(Instant::parse), rule.activeUntil(Instant.parse(now)));
    }
}
