package dev.nest.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.async.Destinations;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads a block of single values (a plugin's settings, such as {@code async.kafka:}) as text, reporting what is not. */
final class FlatBlock {
    /** Where a problem goes: the key, the value and what is allowed. */
    interface Problems {
        void problem(String key, String value, String allowed);
    }

    private FlatBlock() {
    }

    /** The block {@code key} ({@code null} or missing: empty) as name to text. */
    static Map<String, String> read(JsonNode block, String key, Problems problems) {
        Map<String, String> out = new LinkedHashMap<>();
        if (block == null || block.isMissingNode() || block.isNull()) {
            return out;
        }
        if (!block.isObject()) {
            problems.problem(key, block.toString(), "a mapping of settings");
            return out;
        }
        block.fields().forEachRemaining(e -> {
            if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                out.put(e.getKey(), e.getValue().asText());
            } else {
                problems.problem(key + "." + e.getKey(), e.getValue().toString(), "a single value");
            }
        });
        return out;
    }

    /** {@code async.destinations:} (only {@code allow}, a list of hosts); none allowed when missing. */
    static Destinations destinations(JsonNode block, Problems problems) {
        List<String> hosts = new ArrayList<>();
        if (block == null || block.isMissingNode() || block.isNull()) {
            return new Destinations(hosts);
        }
        block.fieldNames().forEachRemaining(k -> {
            if (!k.equals("allow")) {
                problems.problem("async.destinations." + k, block.get(k).toString(), "only allow: a list of hosts");
            }
        });
        JsonNode allow = block.path("allow");
        if (!allow.isMissingNode() && !allow.isNull() && !allow.isArray()) {
            problems.problem("async.destinations.allow", allow.toString(), "a list of host names, *.domain or host:port");
        }
        allow.forEach(h -> hosts.add(h.asText().trim()));
        try {
            return new Destinations(hosts);
        } catch (IllegalArgumentException e) {
            problems.problem("async.destinations.allow", allow.toString(), e.getMessage());
            return new Destinations(List.of());
        }
    }
}
