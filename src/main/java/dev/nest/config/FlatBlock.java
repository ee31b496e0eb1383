package dev.nest.config;

import com.fasterxml.jackson.databind.JsonNode;
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
}
