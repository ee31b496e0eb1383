package dev.nest.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Samples other modules add: one header per name, labels escaped, a failing supplier skipped. */
class NodeMetricsSamplesTest {
    @Test
    void addedSamplesAreWrittenUnderOneHeaderPerName() {
        NodeMetrics m = new NodeMetrics(List::of, List::of);
        m.addSamples(() -> List.of(
                new MetricSample("nest_trigger_lag_records", "gauge", "Records behind.",
                        List.of("function", "default/a", "trigger", "t\"1"), 12),
                new MetricSample("nest_trigger_lag_records", "gauge", "Records behind.",
                        List.of("function", "default/b", "trigger", "t"), 0),
                new MetricSample("nest_trigger_records_total", "counter", "Records.", List.of(), 5)));
        m.addSamples(() -> {
            throw new IllegalStateException("broken");
        });
        String text = m.render();
        assertTrue(text.contains("# HELP nest_trigger_lag_records Records behind.\n"
                + "# TYPE nest_trigger_lag_records gauge\n"
                + "nest_trigger_lag_records{function=\"default/a\",trigger=\"t\\\"1\"} 12\n"
                + "nest_trigger_lag_records{function=\"default/b\",trigger=\"t\"} 0\n"), text);
        assertTrue(text.contains("# TYPE nest_trigger_records_total counter\n"), text);
        assertTrue(text.indexOf("# TYPE nest_trigger_lag_records") == text.lastIndexOf("# TYPE nest_trigger_lag_records"));
    }
}
