package dev.nest.function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * The stored JSON of a head's aliases and release (beside {@code live} in {@link FunctionCodec#writeHead}). Reading
 * is lenient: an alias or release that does not parse (a hand-edited znode) is left out with a warning, so that one
 * bad entry never hides the function.
 */
final class AliasCodec {
    private static final Logger LOG = Logger.getLogger(AliasCodec.class.getName());

    private AliasCodec() {
    }

    static ObjectNode writeAlias(Alias a) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        ObjectNode w = n.putObject("versions");
        a.weights().forEach((v, p) -> w.put(Integer.toString(v), p));
        a.sticky().ifPresent(s -> n.put("sticky", s.toString()));
        return n;
    }

    static void writeAliases(ObjectNode head, SortedMap<String, Alias> aliases) {
        ObjectNode all = head.putObject("aliases");
        aliases.forEach((name, a) -> all.set(name, writeAlias(a)));
    }

    static SortedMap<String, Alias> readAliases(JsonNode head, String function) {
        SortedMap<String, Alias> out = new TreeMap<>();
        JsonNode all = head.path("aliases");
        for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                out.put(Alias.requireName(e.getKey()), readAlias(e.getValue()));
            } catch (RuntimeException ex) {
                LOG.warning("function " + function + ": stored alias '" + e.getKey() + "' left out: " + ex.getMessage());
            }
        }
        return out;
    }

    static Alias readAlias(JsonNode n) {
        TreeMap<Integer, Integer> w = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.path("versions").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            w.put(Integer.parseInt(e.getKey()), e.getValue().asInt());
        }
        Optional<Alias.Sticky> sticky = n.hasNonNull("sticky") ? Optional.of(Alias.Sticky.parse(n.get("sticky").asText()))
                : Optional.empty();
        return new Alias(w, sticky);
    }

    static void writeRelease(ObjectNode head, Optional<Release> release) {
        release.ifPresent(r -> {
            ObjectNode n = head.putObject("release");
            n.put("from", r.from());
            n.put("to", r.to());
            ArrayNode steps = n.putArray("steps");
            r.steps().forEach(steps::add);
            n.put("intervalMs", r.settings().interval().toMillis());
            n.put("maxErrorRate", r.settings().maxErrorRate());
            n.put("maxP99Ms", r.settings().maxP99().toMillis());
            n.put("maxP99Ratio", r.settings().maxP99Ratio());
            n.put("minRequests", r.settings().minRequests());
            n.put("state", r.state().label());
            n.put("step", r.step());
            n.put("startedAt", r.startedAt().toString());
            n.put("stepStartedAt", r.stepStartedAt().toString());
            n.put("updatedAt", r.updatedAt().toString());
            n.put("reason", r.reason());
            ArrayNode checks = n.putArray("checks");
            for (Release.Check c : r.checks()) {
                ObjectNode cn = checks.addObject();
                cn.put("name", c.name());
                cn.put("passed", c.passed());
                cn.put("canary", c.canary());
                cn.put("stable", c.stable());
                cn.put("limit", c.limit());
            }
            ArrayNode history = n.putArray("history");
            for (Release.Event e : r.history()) {
                ObjectNode en = history.addObject();
                en.put("at", e.at().toString());
                en.put("event", e.event());
                en.put("step", e.step());
                en.put("percent", e.percent());
                en.put("reason", e.reason());
            }
        });
    }

    static Optional<Release> readRelease(JsonNode head, String function) {
        JsonNode n = head.path("release");
        if (!n.isObject()) {
            return Optional.empty();
        }
        try {
            List<Integer> steps = new ArrayList<>();
            n.path("steps").forEach(s -> steps.add(s.asInt()));
            List<Release.Check> checks = new ArrayList<>();
            n.path("checks").forEach(c -> checks.add(new Release.Check(c.path("name").asText(), c.path("passed").asBoolean(),
                    c.path("canary").asDouble(), c.path("stable").asDouble(), c.path("limit").asDouble())));
            Release.Settings settings = new Release.Settings(Duration.ofMillis(n.path("intervalMs").asLong()),
                    n.path("maxErrorRate").asDouble(), Duration.ofMillis(n.path("maxP99Ms").asLong()),
                    n.path("maxP99Ratio").asDouble(), n.path("minRequests").asInt());
            List<Release.Event> history = new ArrayList<>(); // absent in heads written before history was kept
            n.path("history").forEach(e -> history.add(new Release.Event(Instant.parse(e.path("at").asText()),
                    e.path("event").asText(), e.path("step").asInt(), e.path("percent").asInt(), e.path("reason").asText(""))));
            return Optional.of(new Release(n.path("from").asInt(), n.path("to").asInt(), steps, settings,
                    Release.State.ofLabel(n.path("state").asText()), n.path("step").asInt(),
                    Instant.parse(n.path("startedAt").asText()), Instant.parse(n.path("stepStartedAt").asText()),
                    Instant.parse(n.path("updatedAt").asText()), n.path("reason").asText(""), checks, history));
        } catch (RuntimeException e) {
            LOG.warning("function " + function + ": stored release left out: " + e.getMessage());
            return Optional.empty();
        }
    }
}
