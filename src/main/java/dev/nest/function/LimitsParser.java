package dev.nest.function;

import static dev.nest.function.Fields.shown;
import static dev.nest.function.Fields.unknownKeys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Rate;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Reads and writes the spec's {@code limits:} block ({@link LimitsSpec}); problems name the full dotted key. */
final class LimitsParser {
    private static final Set<String> KEYS = Set.of("rate", "burst");

    private LimitsParser() {
    }

    static LimitsSpec parse(JsonNode l, List<SpecProblem> problems) {
        if (Fields.missing(l)) {
            return LimitsSpec.NONE;
        }
        if (!l.isObject()) {
            problems.add(new SpecProblem("limits", shown(l), "a mapping with rate (e.g. 100/s) and burst"));
            return LimitsSpec.NONE;
        }
        unknownKeys(l, "limits.", KEYS, problems);
        Optional<Rate> rate = rate(l.get("rate"), "limits.rate", problems);
        JsonNode b = l.get("burst");
        if (rate.isEmpty()) {
            if (!Fields.missing(b) && Fields.missing(l.get("rate"))) {
                problems.add(new SpecProblem("limits.burst", shown(b), "only with limits.rate: the burst is the size "
                        + "of the rate's bucket; add limits.rate (e.g. 100/s)"));
            }
            return LimitsSpec.NONE;
        }
        int burst = Fields.integer(b, "limits.burst", LimitsSpec.defaultBurst(rate.get()), 1, LimitsSpec.MAX_BURST,
                "an integer number of requests that may arrive at once", problems);
        return new LimitsSpec(rate, burst);
    }

    /** A rate under {@code key}, or a problem naming it. */
    static Optional<Rate> rate(JsonNode v, String key, List<SpecProblem> problems) {
        if (Fields.missing(v)) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            problems.add(new SpecProblem(key, shown(v), Rate.ALLOWED));
            return Optional.empty();
        }
        try {
            return Optional.of(Rate.parse(v.asText()));
        } catch (IllegalArgumentException e) {
            problems.add(new SpecProblem(key, v.asText(), Rate.ALLOWED));
            return Optional.empty();
        }
    }

    /** The block to write, or empty when there is no limit (so specs without one stay as they were). */
    static Optional<ObjectNode> write(LimitsSpec spec) {
        if (spec.rate().isEmpty()) {
            return Optional.empty();
        }
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("rate", spec.rate().get().toString());
        n.put("burst", spec.burst());
        return Optional.of(n);
    }
}
