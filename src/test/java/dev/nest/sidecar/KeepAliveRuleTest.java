package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.ScalingSpec;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The keep-alive rule as a table, with a function keep-alive of 10 minutes and a previous-version keep-alive of 5:
 * one idle instance above the version's minimum, idle for a number of seconds, in every situation.
 */
class KeepAliveRuleTest {
    private static final long S = 1_000_000_000L;
    private static final long NOW = 100_000 * S;
    private final KeepAliveRule rule = new KeepAliveRule(Duration.ofMinutes(5));

    /**
     * @param idle    seconds since the instance's last request ended
     * @param live    whether its version is live
     * @param changed seconds since the version became live again or stopped being live; -1: live all along
     * @param min     {@code scaling.min}
     * @param target  the scaler's target; -1: none
     */
    @ParameterizedTest(name = "[{index}] idle {0}s, live {1}, changed {2}s ago, min {3}, target {4}: {5}, keeps {6}")
    @CsvSource({
            // live all along, no target: scaling.keep-alive (600 s)
            "0,    true,  -1,  0, -1, KEEP, 0",
            "60,   true,  -1,  0, -1, KEEP, 0",
            "299,  true,  -1,  0, -1, KEEP, 0",
            "599,  true,  -1,  0, -1, KEEP, 0",
            "600,  true,  -1,  0, -1, STOP, 0",
            "601,  true,  -1,  0, -1, STOP, 0",
            "599,  true,  -1,  2, -1, KEEP, 2",
            "600,  true,  -1,  2, -1, STOP, 2",
            // live all along under a target: above it at once
            "0,    true,  -1,  0,  0, STOP, 0",
            "0,    true,  -1,  0,  3, STOP, 3",
            "300,  true,  -1,  2,  1, STOP, 2",
            "0,    true,  -1,  4,  1, STOP, 4",
            // live again (a rollback) under a target: the function's keep-alive from the change
            "30,   true,  30,  0,  0, KEEP, 0",
            "900,  true,  30,  0,  0, KEEP, 0",
            "900,  true,  599, 0,  0, KEEP, 0",
            "900,  true,  600, 0,  0, STOP, 0",
            "900,  true,  601, 0,  2, STOP, 2",
            // live again without a target: idle counts from the change at the earliest
            "900,  true,  120, 0, -1, KEEP, 0",
            "900,  true,  600, 0, -1, STOP, 0",
            "120,  true,  900, 0, -1, KEEP, 0",
            // no longer live: sidecar.previous-version-keep-alive (300 s) from the change at the earliest
            "0,    false, 0,   3, -1, KEEP, 0",
            "900,  false, 60,  3, -1, KEEP, 0",
            "900,  false, 299, 0, -1, KEEP, 0",
            "900,  false, 300, 0, -1, STOP, 0",
            "299,  false, 900, 0, -1, KEEP, 0",
            "300,  false, 900, 0, -1, STOP, 0",
            "900,  false, 600, 5,  9, STOP, 0",
    })
    void decides(long idle, boolean live, long changed, int min, int target, String decision, int keeps) {
        long changedAt = changed < 0 ? Long.MIN_VALUE : NOW - changed * S;
        KeepAliveRule.Situation s = new KeepAliveRule.Situation(live, changedAt,
                new ScalingSpec(min, 10, Duration.ofMinutes(10)), target < 0 ? Optional.empty() : Optional.of(target));
        KeepAliveRule.Policy policy = rule.policy(s, NOW);
        assertEquals(decision, policy.expired(NOW - idle * S, NOW) ? "STOP" : "KEEP");
        assertEquals(keeps, policy.keep());
    }

    /**
     * Under a target, a version with an instance that started after the target was set ({@code unseen}: the scaler
     * has not answered the request that started it) keeps its idle instances for the function's keep-alive.
     *
     * @param idle   seconds since the instance's last request ended
     * @param target the scaler's target; -1: none
     * @param unseen whether an instance started after the target was set
     */
    @ParameterizedTest(name = "[{index}] idle {0}s, target {1}, unseen {2}: {3}")
    @CsvSource({
            "0,   0, false, STOP",
            "0,   0, true,  KEEP",
            "599, 0, true,  KEEP",
            "600, 0, true,  STOP",
            "0,   2, true,  KEEP",
            "0,   2, false, STOP",
            "599, -1, true, KEEP",
            "600, -1, true, STOP",
    })
    void anInstanceTheScalerHasNotSeenKeepsTheFunctionsKeepAlive(long idle, int target, boolean unseen, String decision) {
        KeepAliveRule.Situation s = new KeepAliveRule.Situation(true, Long.MIN_VALUE,
                new ScalingSpec(0, 10, Duration.ofMinutes(10)), target < 0 ? Optional.empty() : Optional.of(target), unseen);
        assertEquals(decision, rule.policy(s, NOW).expired(NOW - idle * S, NOW) ? "STOP" : "KEEP");
    }
}
