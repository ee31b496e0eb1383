package dev.nest.trigger;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One number a running {@link TriggerSource} publishes for {@code /metrics}: a gauge (a level now, e.g. a Kafka
 * partition's lag) or a counter (a total since the source started, e.g. records handled). The trigger manager
 * prefixes the name with {@code nest_trigger_} and adds the labels {@code function} and {@code trigger}; a source
 * adds its own (e.g. {@code partition}).
 *
 * @param name   lower-case letters, digits and '_', starting with a letter, without the {@code nest_trigger_}
 *               prefix; a counter's ends in {@code _total}; e.g. {@code lag_records}, {@code records_total}
 * @param kind   gauge or counter
 * @param help   one line saying what it counts
 * @param labels the source's own labels, name then value, names as {@code name}s and not {@code function},
 *               {@code trigger} or {@code le}
 * @param value  the value; a counter never goes down while its source runs
 */
public record TriggerMetric(String name, Kind kind, String help, List<String> labels, double value) {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,99}");
    private static final Set<String> RESERVED = Set.of("function", "trigger", "le", "quantile");

    /** What the number is. */
    public enum Kind {
        GAUGE, COUNTER;

        /** The exposition format's type: {@code gauge} or {@code counter}. */
        public String label() {
            return this == GAUGE ? "gauge" : "counter";
        }
    }

    public TriggerMetric {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("metric name '" + name + "': lower-case letters, digits and '_', "
                    + "starting with a letter");
        }
        if (kind == Kind.COUNTER && !name.endsWith("_total")) {
            throw new IllegalArgumentException("counter '" + name + "': a counter's name ends in _total");
        }
        if (labels.size() % 2 != 0) {
            throw new IllegalArgumentException("metric '" + name + "': labels are name, value pairs");
        }
        for (int i = 0; i < labels.size(); i += 2) {
            String l = labels.get(i);
            if (!NAME.matcher(l).matches() || RESERVED.contains(l)) {
                throw new IllegalArgumentException("metric '" + name + "': label '" + l + "' must be lower-case "
                        + "letters, digits and '_' and not one of " + RESERVED);
            }
        }
        help = help.replace('\n', ' ');
        labels = List.copyOf(labels);
    }

    /** A gauge. */
    public static TriggerMetric gauge(String name, String help, double value, String... labels) {
        return new TriggerMetric(name, Kind.GAUGE, help, List.of(labels), value);
    }

    /** A counter. */
    public static TriggerMetric counter(String name, String help, double value, String... labels) {
        return new TriggerMetric(name, Kind.COUNTER, help, List.of(labels), value);
    }

    /** The name in {@code /metrics}. */
    public String metricName() {
        return "nest_trigger_" + name;
    }
}
