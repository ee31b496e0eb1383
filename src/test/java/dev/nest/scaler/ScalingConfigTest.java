package dev.nest.scaler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.KeepAliveMode;
import dev.nest.function.MetricTarget;
import dev.nest.function.MetricType;
import dev.nest.function.ScalingSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The scaler's working config built from a function's {@code scaling:} spec. */
class ScalingConfigTest {
    @Test
    void theDefaultMetricIsConcurrencyAtTheFunctionsConcurrency() {
        ScalingConfig c = ScalingConfig.of(ScalingSpec.DEFAULT, 4);
        assertEquals(List.of(new MetricTarget(MetricType.CONCURRENCY, 4)), c.metrics());
        assertEquals(HistogramKeepAlive.standard(new FixedKeepAlive(Duration.ofMinutes(10))), c.keepAlivePolicy());
        assertEquals(Duration.ofSeconds(60), c.stableWindow());
        assertEquals(Duration.ofSeconds(6), c.upWindow());
        assertEquals(ScalingConfig.defaults(4), c);
    }

    @Test
    void declaredMetricsAndAFixedPolicyCarryOver() {
        ScalingSpec s = ScalingSpec.DEFAULT.withMetrics(List.of(new MetricTarget(MetricType.RPS, 50)), 0.8)
                .withKeepAlive(Duration.ofMinutes(3), KeepAliveMode.FIXED, Duration.ofHours(1));
        ScalingConfig c = ScalingConfig.of(s, 4);
        assertEquals(List.of(new MetricTarget(MetricType.RPS, 50)), c.metrics());
        assertEquals(0.8, c.utilization());
        assertEquals(new FixedKeepAlive(Duration.ofMinutes(3)), c.keepAlivePolicy());
        assertEquals(Duration.ofHours(1), c.scaleToZeroAfter());
    }

    @Test
    void theConstructorRefusesWhatTheSpecRefuses() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScalingConfig.defaults(1).withMinMax(5, 3));
        assertTrue(e.getMessage().contains("key 'scaling.max': value '3' is not valid; allowed: at least scaling.min (5)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScalingConfig.defaults(1).withWindows(Duration.ofSeconds(10), Duration.ofSeconds(20)));
    }
}
