package dev.nest.trigger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One running trigger: created by its provider for one function's trigger, started once, closed once (when the
 * spec changes, the function is deleted, this node stops leading for a {@link TriggerPlacement#LEADER} source, or
 * the node stops). {@link #start} and {@link #close} are called on the trigger manager's thread and must not block
 * for long; a source does its work on its own threads or the context's scheduler. A source that cannot go on
 * (e.g. its claim was fenced off by a newer leader) stops firing by itself and says so in {@link #status}.
 */
public interface TriggerSource extends AutoCloseable {
    void start();

    /** Stops firing; an event already handed to the sink is not taken back. Idempotent. */
    @Override
    void close();

    /** What it is doing, for the API (merged into the provider's {@link TriggerSourceProvider#describe}). */
    default ObjectNode status() {
        return JsonNodeFactory.instance.objectNode();
    }
}
