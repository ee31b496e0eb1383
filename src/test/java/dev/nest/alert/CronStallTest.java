package dev.nest.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CronStallTest {
    @ParameterizedTest(name = "{0} last {1}, now {2} -> {3}")
    @CsvSource(nullValues = "none", textBlock = """
            '*/5 * * * *',  2026-01-01T00:00:00Z, 2026-01-01T00:04:59Z, PT0S
            '*/5 * * * *',  2026-01-01T00:00:00Z, 2026-01-01T00:05:00Z, PT0S
            '*/5 * * * *',  2026-01-01T00:00:00Z, 2026-01-01T00:07:30Z, PT2M30S
            '0 3 * * *',    2026-01-01T03:00:00Z, 2026-01-01T23:00:00Z, PT0S
            '0 3 * * *',    2026-01-01T03:00:00Z, 2026-01-02T04:00:00Z, PT1H
            '*/2 * * * * *', 2026-01-01T00:00:00Z, 2026-01-01T00:00:10Z, PT8S
            'not a cron',   2026-01-01T00:00:00Z, 2026-01-01T00:00:10Z, none
            """)
    void overdue(String schedule, String last, String now, String expected) {
        assertEquals(Optional.ofNullable(expected).map(Duration::parse),
                CronStall.overdue(schedule, "UTC", Instant.parse(last), Instant.parse(now)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "none", textBlock = """
            lastFire,    PT2M
            lastClaimed, PT2M
            none,        none
            """)
    void fromTheTriggersView(String key, String expected) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        d.put("schedule", "* * * * *");
        d.put("timezone", "UTC");
        if (key != null) {
            d.put(key, "2026-01-01T00:00:00Z");
        }
        assertEquals(Optional.ofNullable(expected).map(Duration::parse),
                CronStall.overdue(d, Instant.parse("2026-01-01T00:03:00Z")));
    }
}
