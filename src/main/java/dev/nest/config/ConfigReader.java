package dev.nest.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.nest.common.Durations;
import dev.nest.common.Sizes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/** Collects problems while reading, so that every mistake in a file is reported at once. */
final class ConfigReader {
    private final String source;
    private final List<String> problems = new ArrayList<>();

    ConfigReader(String source) {
        this.source = source;
    }

    void problem(String key, String value, String allowed) {
        problems.add("key '" + key + "': value '" + value + "' is not valid; allowed: " + allowed);
    }

    void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new ConfigException(source + ": " + String.join("; ", new java.util.LinkedHashSet<>(problems)));
        }
    }

    void unknown(JsonNode node, String section) {
        Set<String> allowed = NestConfig.KEYS.get(section);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                problems.add("key '" + (section.isEmpty() ? "" : section + ".") + k + "' is unknown; allowed keys here are "
                        + String.join(", ", new TreeSet<>(allowed)));
            }
        }
    }

    JsonNode section(JsonNode tree, String key) {
        JsonNode s = tree.get(key);
        if (s == null || s.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!s.isObject()) {
            problem(key, s.asText(), "a mapping of keys");
            return JsonNodeFactory.instance.objectNode();
        }
        unknown(s, key);
        return s;
    }

    private static Optional<JsonNode> leaf(JsonNode tree, String key) {
        String last = key.substring(key.lastIndexOf('.') + 1);
        JsonNode v = tree.get(last);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v);
    }

    String text(JsonNode tree, String key, String dflt) {
        Optional<JsonNode> v = leaf(tree, key);
        if (v.isPresent() && v.get().isContainerNode()) {
            problem(key, v.get().toString(), "a single value, not a list or mapping");
            return dflt;
        }
        return v.map(JsonNode::asText).orElse(dflt);
    }

    /** A secret: empty, or at least {@link NestConfig.Cluster#MIN_SECRET_LENGTH} characters; the message never shows it. */
    String secret(JsonNode tree, String key) {
        String v = text(tree, key, "");
        if (!v.isEmpty() && v.strip().length() < NestConfig.Cluster.MIN_SECRET_LENGTH) {
            problem(key, "(" + v.strip().length() + " characters, hidden)", "at least " + NestConfig.Cluster.MIN_SECRET_LENGTH
                    + " characters, e.g. the output of `openssl rand -base64 32`");
        }
        return v.strip();
    }

    /** A file name: empty, or resolved against {@code base}. */
    String path(JsonNode tree, String key, Path base) {
        String v = text(tree, key, "");
        return v.isBlank() ? "" : base.resolve(v).normalize().toString();
    }

    String label(JsonNode tree, String key, String dflt) {
        String v = text(tree, key, dflt);
        if (!v.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
            problem(key, v, "lower-case letters, digits and '-'");
            return dflt;
        }
        return v;
    }

    boolean bool(JsonNode tree, String key, boolean dflt) {
        Optional<JsonNode> v = leaf(tree, key);
        if (v.isEmpty()) {
            return dflt;
        }
        String t = v.get().asText();
        if (!v.get().isValueNode() || !(t.equals("true") || t.equals("false"))) {
            problem(key, v.get().isValueNode() ? t : v.get().toString(), "true or false");
            return dflt;
        }
        return Boolean.parseBoolean(t);
    }

    int integer(JsonNode tree, String key, int dflt, int min, int max) {
        Optional<JsonNode> v = leaf(tree, key);
        if (v.isEmpty()) {
            return dflt;
        }
        String t = v.get().asText();
        if (!t.matches("-?\\d{1,10}") || Long.parseLong(t) < min || Long.parseLong(t) > max) {
            problem(key, t, "an integer from " + min + " to " + max);
            return dflt;
        }
        return Integer.parseInt(t);
    }

    /** A decimal number from {@code min} to {@code max} (plain notation, such as 0.5 or 4), {@code dflt} when absent. */
    double decimal(JsonNode tree, String key, double dflt, double min, double max) {
        Optional<JsonNode> v = leaf(tree, key);
        if (v.isEmpty()) {
            return dflt;
        }
        String t = v.get().asText();
        if (!v.get().isValueNode() || !t.matches("-?\\d{1,9}(\\.\\d{1,9})?") || Double.parseDouble(t) < min
                || Double.parseDouble(t) > max) {
            problem(key, v.get().isValueNode() ? t : v.get().toString(), "a number from " + fmt(min) + " to " + fmt(max));
            return dflt;
        }
        return Double.parseDouble(t);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    long size(JsonNode tree, String key, long dflt, long min, long max) {
        return bounded(tree, key, dflt, min, max, Sizes::parse, Sizes::format, Sizes.ALLOWED);
    }

    Duration duration(JsonNode tree, String key, Duration dflt, Duration min, Duration max) {
        return bounded(tree, key, dflt, min, max, Durations::parse, Durations::format, Durations.ALLOWED);
    }

    /**
     * The value of {@code key} read by {@code parse} (which throws {@link IllegalArgumentException} on bad text),
     * {@code dflt} when absent; out of {@code [min, max]} or unreadable adds a problem that shows the range with
     * {@code format}.
     */
    private <T extends Comparable<T>> T bounded(JsonNode tree, String key, T dflt, T min, T max,
                                                Function<String, T> parse, Function<T, String> format, String allowed) {
        Optional<JsonNode> v = leaf(tree, key);
        if (v.isEmpty()) {
            return dflt;
        }
        try {
            T n = parse.apply(v.get().asText());
            if (n.compareTo(min) >= 0 && n.compareTo(max) <= 0) {
                return n;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        problem(key, v.get().asText(), allowed + ", from " + format.apply(min) + " to " + format.apply(max));
        return dflt;
    }
}
