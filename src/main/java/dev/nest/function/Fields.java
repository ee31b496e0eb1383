package dev.nest.function;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Durations;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

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
        if (missing(v)) {
            return dflt;
        }
        String allowed = what + " from " + lo + " to " + hi;
        long n;
        if (v.isIntegralNumber()) {
            n = v.asLong();
        } else if (v.isTextual() && v.asText().trim().matches("-?\\d{1,12}")) {
            n = Long.parseLong(v.asText().trim());
        } else {
            problems.add(new SpecProblem(key, shown(v), allowed));
            return dflt;
        }
        if (n < lo || n > hi) {
            problems.add(new SpecProblem(key, String.valueOf(n), allowed));
            return dflt;
        }
        return (int) n;
    }

    static double decimal(JsonNode v, String key, double dflt, double lo, double hi, String what, List<SpecProblem> problems) {
        if (missing(v)) {
            return dflt;
        }
        String allowed = what + " from " + ScalingSpec.number(lo) + " to " + ScalingSpec.number(hi);
        double n;
        if (v.isNumber()) {
            n = v.asDouble();
        } else if (v.isTextual() && v.asText().trim().matches("-?\\d{1,9}(\\.\\d{1,9})?")) {
            n = Double.parseDouble(v.asText().trim());
        } else {
            problems.add(new SpecProblem(key, shown(v), allowed));
            return dflt;
        }
        if (!(n >= lo && n <= hi)) {
            problems.add(new SpecProblem(key, shown(v), allowed));
            return dflt;
        }
        return n;
    }

    static Duration duration(JsonNode v, String key, Duration dflt, Duration lo, Duration hi, List<SpecProblem> problems) {
        if (missing(v)) {
            return dflt;
        }
        String allowed = ScalingSpec.durations(lo, hi);
        Duration d;
        try {
            if (!v.isValueNode()) {
                throw new IllegalArgumentException("not a scalar");
            }
            d = Durations.parse(v.asText());
        } catch (IllegalArgumentException e) {
            problems.add(new SpecProblem(key, shown(v), allowed));
            return dflt;
        }
        if (!ScalingSpec.between(d, lo, hi)) {
            problems.add(new SpecProblem(key, shown(v), allowed));
            return dflt;
        }
        return d;
    }
}
