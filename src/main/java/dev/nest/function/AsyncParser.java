package dev.nest.function;

import static dev.nest.function.Fields.shown;
import static dev.nest.function.Fields.unknownKeys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Reads and writes the spec's {@code async:} block ({@link AsyncSpec}); problems name the full dotted key. */
final class AsyncParser {
    private static final Set<String> KEYS = Set.of("retries", "max-age", "concurrency", "on-success", "on-failure");

    private AsyncParser() {
    }

    static AsyncSpec parse(JsonNode a, List<SpecProblem> problems) {
        if (Fields.missing(a)) {
            return AsyncSpec.DEFAULT;
        }
        if (!a.isObject()) {
            problems.add(new SpecProblem("async", shown(a), "a mapping with retries, max-age, concurrency, on-success, on-failure"));
            return AsyncSpec.DEFAULT;
        }
        unknownKeys(a, "async.", KEYS, problems);
        AsyncSpec d = AsyncSpec.DEFAULT;
        int retries = Fields.integer(a.get("retries"), "async.retries", d.retries(), 0, AsyncSpec.MAX_RETRIES,
                "an integer number of retries", problems);
        Duration maxAge = Fields.duration(a.get("max-age"), "async.max-age", d.maxAge(), AsyncSpec.MIN_MAX_AGE,
                AsyncSpec.MAX_MAX_AGE, problems);
        int concurrency = Fields.integer(a.get("concurrency"), "async.concurrency", d.concurrency(), 0,
                SpecParser.MAX_INSTANCES, "an integer number of instances (0: half of scaling.max)", problems);
        return new AsyncSpec(retries, maxAge, concurrency, destination(a, "on-success", problems),
                destination(a, "on-failure", problems));
    }

    private static Optional<String> destination(JsonNode a, String key, List<SpecProblem> problems) {
        JsonNode v = a.get(key);
        if (Fields.missing(v)) {
            return Optional.empty();
        }
        String name = v.isTextual() ? v.asText().trim() : "";
        if (AsyncSpec.isUrl(name) && url(name)) {
            return Optional.of(name);
        }
        if (!FunctionId.LABEL.matcher(name).matches()) {
            problems.add(new SpecProblem("async." + key, shown(v), "the name of a function in the same namespace ("
                    + FunctionId.LABEL_RULE + "), or an http:// or https:// URL with a host and no user info (its "
                    + "host must be on the node's async.destinations.allow)"));
            return Optional.empty();
        }
        return Optional.of(name);
    }

    private static boolean url(String s) {
        try {
            java.net.URI u = new java.net.URI(s);
            return u.getHost() != null && u.getRawUserInfo() == null && s.length() <= 2048;
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    /** The block to write, or empty when every setting is the default (so specs without one stay as they were). */
    static Optional<ObjectNode> write(AsyncSpec spec) {
        if (spec.equals(AsyncSpec.DEFAULT)) {
            return Optional.empty();
        }
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("retries", spec.retries());
        n.put("max-age", Durations.format(spec.maxAge()));
        n.put("concurrency", spec.concurrency());
        spec.onSuccess().ifPresent(s -> n.put("on-success", s));
        spec.onFailure().ifPresent(s -> n.put("on-failure", s));
        return Optional.of(n);
    }
}
