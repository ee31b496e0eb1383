package dev.nest.function;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Durations;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The value readers every part of a spec shares: each takes the node found under a key (null when the key is
 * missing), returns the default for a missing key and records a {@link SpecProblem} naming the full dotted key,
 * the value as written and the allowed range for a bad one.
 */
final class Fields {
    private Fields() {
    }

    /** A value as the user wrote it: scalars as text, lists and mappings as JSON. */
    static String shown(JsonNode v) {
        return v.isContainerNode() ? v.toString() : v.asText();
    }

    static boolean missing(JsonNode v) {
        return v == null || v.isNull() || v.isMissingNode();
    }

    static void unknownKeys(JsonNode node, String prefix, Set<String> allowed, List<SpecProblem> problems) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                problems.add(new SpecProblem(prefix + k, null, "unknown key; allowed keys here are "
                        + String.join(", ", new TreeSet<>(allowed))));
            }
        }
    }

    static int integer(JsonNode v, String key, int dflt, int lo, int hi, String what, List<SpecProblem> problems) {
        Function<JsonNode, Optional<Long>> read = n -> n.isIntegralNumber() ? Optional.of(n.asLong())
                : n.isTextual() && n.asText().trim().matches("-?\\d{1,12}") ? Optional.of(Long.parseLong(n.asText().trim()))
                : Optional.empty();
        return bounded(v, key, (long) dflt, what + " from " + lo + " to " + hi, read, n -> n >= lo && n <= hi,
                String::valueOf, problems).intValue();
    }

    static double decimal(JsonNode v, String key, double dflt, double lo, double hi, String what, List<SpecProblem> problems) {
        Function<JsonNode, Optional<Double>> read = n -> n.isNumber() ? Optional.of(n.asDouble())
                : n.isTextual() && n.asText().trim().matches("-?\\d{1,9}(\\.\\d{1,9})?")
                ? Optional.of(Double.parseDouble(n.asText().trim())) : Optional.empty();
        return bounded(v, key, dflt, what + " from " + ScalingSpec.number(lo) + " to " + ScalingSpec.number(hi), read,
                n -> n >= lo && n <= hi, n -> shown(v), problems);
    }

    static Duration duration(JsonNode v, String key, Duration dflt, Duration lo, Duration hi, List<SpecProblem> problems) {
        Function<JsonNode, Optional<Duration>> read = n -> {
            try {
                return n.isValueNode() ? Optional.of(Durations.parse(n.asText())) : Optional.empty();
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        };
        return bounded(v, key, dflt, ScalingSpec.durations(lo, hi), read, d -> ScalingSpec.between(d, lo, hi),
                d -> shown(v), problems);
    }

    /**
     * The value {@code v} as {@code read} makes it (empty: not of the kind asked for), or {@code dflt} when missing;
     * a value that cannot be read, or is not {@code inRange}, adds a problem ({@code shownOutOfRange} says how to
     * show the latter) and gives {@code dflt}.
     */
    private static <T> T bounded(JsonNode v, String key, T dflt, String allowed, Function<JsonNode, Optional<T>> read,
                                 Predicate<T> inRange, Function<T, String> shownOutOfRange, List<SpecProblem> problems) {
        if (missing(v)) {
            return dflt;
        }
        Optional<T> n = read.apply(v);
        if (n.isEmpty()) {
            problems.add(new SpecProblem(key, shown(v), allowed));
            return dflt;
        }
        if (!inRange.test(n.get())) {
            problems.add(new SpecProblem(key, shownOutOfRange.apply(n.get()), allowed));
            return dflt;
        }
        return n.get();
    }
}
