package dev.nest.plugins.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import dev.nest.function.SpecProblem;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A {@code type: kafka} trigger's settings; {@link #parse} reports every mistake naming the key, the value and what is
 * allowed.
 *
 * @param bootstrap       {@code bootstrap}: {@code host:port,...} of the brokers (required)
 * @param topic           {@code topic}: the topic to consume (required)
 * @param group           {@code group}: the consumer group every node joins (default
 *                        {@code nest-trigger.<namespace>.<function>.<trigger>})
 * @param batchSize       {@code batch-size}: records per invocation at most (default 100, 1 to 10000)
 * @param batchWindow     {@code batch-window}: how long a batch may wait to fill once its first record came (default
 *                        500ms, 0 to 5m)
 * @param start           {@code start}: where a group without committed offsets begins ({@code latest} or
 *                        {@code earliest}, default latest)
 * @param retries         {@code retries}: extra attempts of a single failing record before it is dead-lettered
 *                        (default 2, 0 to 100)
 * @param deadLetterTopic {@code dead-letter-topic}: where a record that still fails goes (empty: it is logged and
 *                        skipped)
 */
public record KafkaTriggerSettings(String bootstrap, String topic, Optional<String> group, int batchSize,
                                   Duration batchWindow, Start start, int retries, Optional<String> deadLetterTopic) {
    static final Set<String> KEYS = Set.of("bootstrap", "topic", "group", "batch-size", "batch-window", "start",
            "retries", "dead-letter-topic");
    private static final String NAME = "a topic or group name: letters, digits, '.', '_' and '-' (1 to 249)";

    /** Where a new group starts reading. */
    public enum Start {
        LATEST, EARLIEST;

        String label() {
            return name().toLowerCase();
        }
    }

    /** The group to use: the configured one, else one derived from the trigger's identity. */
    public String groupFor(String namespace, String function, String trigger) {
        return group.orElse("nest-trigger." + namespace + "." + function + "." + trigger);
    }

    /** Reads and checks {@code s}; every mistake goes to {@code problems} as {@code key + "." + setting}. */
    public static Optional<KafkaTriggerSettings> parse(String key, ObjectNode s, List<SpecProblem> problems) {
        int before = problems.size();
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                problems.add(new SpecProblem(key + "." + k, null, "unknown key; a kafka trigger takes "
                        + String.join(", ", new TreeSet<>(KEYS)) + " (and name, type)"));
            }
        }
        String bootstrap = text(s, "bootstrap").orElse("");
        if (bootstrap.isEmpty()) {
            problems.add(new SpecProblem(key + ".bootstrap", null, "required: host:port of one or more brokers, "
                    + "comma-separated"));
        } else {
            for (String hp : bootstrap.split(",")) {
                if (!hp.trim().matches("[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}")) {
                    problems.add(new SpecProblem(key + ".bootstrap", shown(bootstrap), "host:port of one or more "
                            + "brokers, comma-separated ('" + shown(hp.trim()) + "' is not host:port)"));
                    break;
                }
                int port = Integer.parseInt(hp.trim().substring(hp.trim().lastIndexOf(':') + 1));
                if (port < 1 || port > 65535) {
                    problems.add(new SpecProblem(key + ".bootstrap", shown(bootstrap), "host:port of one or more "
                            + "brokers, comma-separated, each port from 1 to 65535 ('" + hp.trim() + "')"));
                    break;
                }
            }
        }
        String topic = text(s, "topic").orElse("");
        if (topic.isEmpty()) {
            problems.add(new SpecProblem(key + ".topic", null, "required: " + NAME));
        } else if (!validName(topic)) {
            problems.add(new SpecProblem(key + ".topic", shown(topic), NAME));
        }
        Optional<String> group = text(s, "group");
        if (group.isPresent() && !validName(group.get())) {
            problems.add(new SpecProblem(key + ".group", shown(group.get()), NAME));
        }
        Optional<String> dlt = text(s, "dead-letter-topic");
        if (dlt.isPresent() && !validName(dlt.get())) {
            problems.add(new SpecProblem(key + ".dead-letter-topic", shown(dlt.get()), NAME));
        } else if (dlt.isPresent() && dlt.get().equals(topic)) {
            problems.add(new SpecProblem(key + ".dead-letter-topic", dlt.get(), "a topic other than the trigger's "
                    + "topic (a dead letter would be consumed again)"));
        }
        int batchSize = integer(key, s, "batch-size", 100, 1, 10_000, problems);
        int retries = integer(key, s, "retries", 2, 0, 100, problems);
        Duration window = Duration.ofMillis(500);
        Optional<String> w = text(s, "batch-window");
        if (w.isPresent()) {
            try {
                window = Durations.parse(w.get());
                if (window.isNegative() || window.compareTo(Duration.ofMinutes(5)) > 0) {
                    throw new IllegalArgumentException("out of range");
                }
            } catch (IllegalArgumentException e) {
                problems.add(new SpecProblem(key + ".batch-window", shown(w.get()), "0ms to 5m, " + Durations.ALLOWED));
            }
        }
        Start start = Start.LATEST;
        Optional<String> st = text(s, "start");
        if (st.isPresent()) {
            if (st.get().equals("latest") || st.get().equals("earliest")) {
                start = Start.valueOf(st.get().toUpperCase());
            } else {
                problems.add(new SpecProblem(key + ".start", shown(st.get()), "latest (only records produced after the "
                        + "group first joined) or earliest (the topic's oldest records)"));
            }
        }
        if (problems.size() > before) {
            return Optional.empty();
        }
        return Optional.of(new KafkaTriggerSettings(bootstrap, topic, group, batchSize, window, start, retries, dlt));
    }

    private static boolean validName(String v) {
        return v.matches("[A-Za-z0-9._\\-]{1,249}") && !v.equals(".") && !v.equals("..");
    }

    /** A setting as text; a list or mapping as its JSON, so that it is refused showing what was written. */
    private static Optional<String> text(ObjectNode s, String k) {
        JsonNode v = s.get(k);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        return Optional.of(v.isValueNode() ? v.asText().trim() : v.toString());
    }

    /** A value as a message shows it: at most 100 characters, then how long it was. */
    static String shown(String v) {
        return v.length() <= 100 ? v : v.substring(0, 100) + "... (" + v.length() + " characters)";
    }

    private static int integer(String key, ObjectNode s, String k, int fallback, int min, int max,
                               List<SpecProblem> problems) {
        JsonNode v = s.get(k);
        if (v == null || v.isNull()) {
            return fallback;
        }
        String t = v.asText().trim();
        try {
            if ((v.isNumber() && !v.canConvertToInt()) || v.isFloatingPointNumber()) {
                throw new NumberFormatException(t);
            }
            int n = Integer.parseInt(t);
            if (n < min || n > max) {
                throw new NumberFormatException(t);
            }
            return n;
        } catch (NumberFormatException e) {
            problems.add(new SpecProblem(key + "." + k, shown(t), "a whole number from " + min + " to " + max));
            return fallback;
        }
    }
}
