package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LastUsedThrottleTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    @Test
    void aTokenIsRecordedAtMostOnceAMinute() {
        LastUsedThrottle t = new LastUsedThrottle();
        assertTrue(t.due("a", T0));
        assertFalse(t.due("a", T0));
        assertFalse(t.due("a", T0.plusSeconds(59)));
        assertTrue(t.due("b", T0.plusSeconds(59)), "each token on its own");
        assertTrue(t.due("a", T0.plusSeconds(60)));
        assertFalse(t.due("a", T0.plusSeconds(61)));
    }

    @Test
    void aForgottenTokenIsDueAgain() {
        LastUsedThrottle t = new LastUsedThrottle(Duration.ofMinutes(1));
        assertTrue(t.due("a", T0));
        t.forget("a");
        assertTrue(t.due("a", T0.plusSeconds(1)));
    }
}
