package dev.nest.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AlertJudgementTest {
    private static final Instant BEFORE = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant NOW = Instant.parse("2026-01-01T00:05:00Z");

    @ParameterizedTest(name = "{0}, value {1} vs threshold {2} -> {3}, send {4}")
    @CsvSource(nullValues = "none", textBlock = """
            OK,       0.10, 0.05, FIRING,   FIRING
            OK,       0.05, 0.05, OK,       NOTHING
            OK,       0.01, 0.05, OK,       NOTHING
            OK,       none, 0.05, OK,       NOTHING
            OK,       NaN,  0.05, OK,       NOTHING
            FIRING,   0.20, 0.05, FIRING,   NOTHING
            FIRING,   0.05, 0.05, RESOLVED, RESOLVED
            FIRING,   0,    0.05, RESOLVED, RESOLVED
            FIRING,   none, 0.05, FIRING,   NOTHING
            RESOLVED, 0.01, 0.05, RESOLVED, NOTHING
            RESOLVED, 0.06, 0.05, FIRING,   FIRING
            RESOLVED, none, 0.05, RESOLVED, NOTHING
            OK,       1,    0,    FIRING,   FIRING
            OK,       0,    0,    OK,       NOTHING
            """)
    void judges(AlertState from, Double value, double threshold, AlertState to, AlertJudgement.Send send) {
        AlertStatus previous = new AlertStatus("r", from, BEFORE, Optional.empty(), "");
        AlertJudgement.Step step = AlertJudgement.judge(previous, Optional.ofNullable(value), threshold, "d", NOW);
        assertEquals(to, step.next().state());
        assertEquals(send, step.send());
        if (send == AlertJudgement.Send.NOTHING) {
            assertSame(previous, step.next(), "no change keeps the status (and its since)");
        } else {
            assertEquals(NOW, step.next().since());
            assertEquals(Optional.of(value), step.next().value());
            assertEquals("d", step.next().detail());
        }
    }
}
