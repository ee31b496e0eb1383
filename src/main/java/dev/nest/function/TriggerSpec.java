package dev.nest.function;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One entry of a function's {@code triggers:} list: an event source that invokes the function.
 *
 * @param name     the trigger's name, unique within the function ({@code name:} in the spec; by default
 *                 {@code <type>-<position>}, 1-based); its stored state (a cron trigger's last tick) is kept under it
 * @param type     the source type ({@code cron}, or a plugin's type such as {@code kafka})
 * @param settings every other key of the entry, as written; the type's provider validates them at deploy time
 */
public record TriggerSpec(String name, String type, ObjectNode settings) {
    public TriggerSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        settings = settings.deepCopy();
    }

    /** The settings (a copy: the record stays immutable). */
    @Override
    public ObjectNode settings() {
        return settings.deepCopy();
    }
}
