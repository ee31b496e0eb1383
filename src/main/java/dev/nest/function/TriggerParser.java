package dev.nest.function;

import static dev.nest.function.Fields.shown;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and writes the spec's {@code triggers:} list and {@code http:} switch. Here only the shape is checked
 * (a list of mappings, each with a {@code type}, names unique); each type's settings are checked by its provider
 * when a spec is deployed ({@link SpecCheck}), so that a spec stored in ZooKeeper still reads on a node that lacks
 * a plugin. Problems name the full key ({@code triggers[0].type}).
 */
final class TriggerParser {
    /** At most this many triggers per function. */
    static final int MAX_TRIGGERS = 32;
    private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9-]{0,31}");

    private TriggerParser() {
    }

    static List<TriggerSpec> parse(JsonNode v, List<SpecProblem> problems) {
        if (Fields.missing(v)) {
            return List.of();
        }
        if (!v.isArray()) {
            problems.add(new SpecProblem("triggers", shown(v), "a list of mappings, each with a type, e.g. "
                    + "[{type: cron, schedule: '0 * * * *'}]"));
            return List.of();
        }
        if (v.size() > MAX_TRIGGERS) {
            problems.add(new SpecProblem("triggers", v.size() + " entries", "at most " + MAX_TRIGGERS + " triggers"));
            return List.of();
        }
        List<TriggerSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < v.size(); i++) {
            String key = "triggers[" + i + "]";
            JsonNode t = v.get(i);
            if (!t.isObject()) {
                problems.add(new SpecProblem(key, shown(t), "a mapping with a type and its settings"));
                continue;
            }
            JsonNode type = t.get("type");
            if (Fields.missing(type)) {
                problems.add(new SpecProblem(key + ".type", null, "required: the trigger's type, e.g. cron"));
                continue;
            }
            if (!type.isTextual() || !TYPE.matcher(type.asText()).matches()) {
                problems.add(new SpecProblem(key + ".type", shown(type), "a type name such as cron or kafka "
                        + "(lower-case letters, digits and '-', at most 32)"));
                continue;
            }
            String name = type.asText() + "-" + (i + 1);
            JsonNode n = t.get("name");
            if (!Fields.missing(n)) {
                if (!n.isTextual() || !FunctionId.LABEL.matcher(n.asText()).matches()) {
                    problems.add(new SpecProblem(key + ".name", shown(n), FunctionId.LABEL_RULE));
                    continue;
                }
                name = n.asText();
            }
            if (!names.add(name)) {
                problems.add(new SpecProblem(key + ".name", name, "a name no other trigger of this function has"));
                continue;
            }
            ObjectNode settings = ((ObjectNode) t).deepCopy();
            settings.remove("type");
            settings.remove("name");
            out.add(new TriggerSpec(name, type.asText(), settings));
        }
        return out;
    }

    /** {@code http:}: true (the default) or false (an event-only function: its URL answers 404). */
    static boolean http(JsonNode v, List<SpecProblem> problems) {
        if (Fields.missing(v)) {
            return true;
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isTextual() && (v.asText().equals("true") || v.asText().equals("false"))) {
            return Boolean.parseBoolean(v.asText());
        }
        problems.add(new SpecProblem("http", shown(v), "true (invocable at its URL, the default) or false "
                + "(event-only: only its triggers invoke it; its URL answers 404)"));
        return true;
    }

    /** The list to write, or empty when there are no triggers (so specs without any stay as they were). */
    static Optional<ArrayNode> write(List<TriggerSpec> triggers) {
        if (triggers.isEmpty()) {
            return Optional.empty();
        }
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (TriggerSpec t : triggers) {
            ObjectNode n = a.addObject();
            n.put("name", t.name());
            n.put("type", t.type());
            n.setAll(t.settings());
        }
        return Optional.of(a);
    }
}
