package dev.nest.trigger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.function.SpecProblem;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The service a trigger type registers for {@link java.util.ServiceLoader} (in
 * {@code META-INF/services/dev.nest.trigger.TriggerSourceProvider}): Nest's built-in {@code cron} and every plugin's
 * types implement it alike. Implementations must be stateless and thread-safe; {@link #create} is called on the
 * trigger manager's thread.
 */
public interface TriggerSourceProvider {
    /** The {@code type:} this provider serves: lower-case letters, digits and '-', e.g. {@code cron}. */
    String type();

    /** Where its sources run. */
    TriggerPlacement placement();

    /**
     * Checks one trigger's settings (every key of its entry but {@code type} and {@code name}).
     *
     * @param key the entry's key for messages, e.g. {@code triggers[0]}; a problem names {@code key + ".schedule"}
     * @return every problem, each naming the key, the value and what is allowed; empty when valid
     */
    List<SpecProblem> validate(String key, ObjectNode settings);

    /** A source for validated settings; not started yet. */
    TriggerSource create(TriggerContext context);

    /**
     * What the API shows of a trigger on any node, from its settings and its stored state (see
     * {@link TriggerStateStore}), e.g. a cron trigger's next and last fire times. The default shows nothing.
     */
    default ObjectNode describe(ObjectNode settings, Optional<byte[]> state, Instant now) {
        return JsonNodeFactory.instance.objectNode();
    }
}
