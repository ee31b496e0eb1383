package dev.nest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OutcomeTest {
    @ParameterizedTest(name = "status {0}, instance ''{1}'', error ''{2}'' -> {3}")
    @CsvSource(delimiter = '|', nullValues = "none", textBlock = """
            200 | i-1  | none          | OK
            404 | i-1  | none          | OK
            200 | i-1  | Error: boom   | ERROR
            500 | i-1  | none          | ERROR
            502 | i-1  | none          | ERROR
            504 | i-1  | timeout: slow | ERROR
            429 | none | rate limited  | THROTTLE
            503 | none | degraded      | THROTTLE
            429 | i-1  | none          | OK
            503 | i-1  | none          | ERROR
            500 | none | no instance   | ERROR
            400 | none | bad request   | OK
            """)
    void classifies(int status, String instance, String error, Outcome expected) {
        var r = Records.record("default/f", 1, Instant.EPOCH, 1, status, false, instance == null ? "" : instance,
                error == null ? "" : error, Map.of());
        assertEquals(expected, Outcome.of(r));
    }
}
