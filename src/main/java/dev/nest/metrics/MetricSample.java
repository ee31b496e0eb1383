package dev.nest.metrics;

import java.util.List;

/**
 * One sample another module adds to {@code /metrics} through {@link NodeMetrics#addSamples}: samples of one name are
 * written together under one {@code # HELP} and {@code # TYPE} (the first sample's), in the order given.
 *
 * @param name   the metric's full name, e.g. {@code nest_trigger_lag_records}
 * @param type   {@code gauge} or {@code counter}
 * @param help   one line
 * @param labels name, value, name, value ...
 * @param value  the value
 */
public record MetricSample(String name, String type, String help, List<String> labels, double value) {
    public MetricSample {
        if (labels.size() % 2 != 0) {
            throw new IllegalArgumentException("labels of " + name + " are name, value pairs: " + labels);
        }
        labels = List.copyOf(labels);
    }
}
