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

    /**
     * What it publishes for {@code /metrics} now (e.g. a Kafka trigger's lag per partition, records and batches
     * handled, failures, dead letters); the manager names each {@code nest_trigger_<name>} and adds the labels
     * {@code function} and {@code trigger}. Called on the scraping thread: it must return values the source already
     * has, without I/O or waiting. The default publishes nothing.
     */
    default java.util.List<TriggerMetric> metrics() {
        return java.util.List.of();
    }

    /**
     * Why it has stopped working by itself and should be started again (e.g. its consumer's thread ended on an
     * error); empty while it works or is merely idle. The manager checks it once a second, closes a failed source and
     * starts a new one after a back-off that grows with each failure in a row, and shows it in {@code /health}.
     * Called from any thread; must not block.
     */
    default java.util.Optional<String> failure() {
        return java.util.Optional.empty();
    }

    /** What it is doing, for the API (merged into the provider's {@link TriggerSourceProvider#describe}). */
    default ObjectNode status() {
        return JsonNodeFactory.instance.objectNode();
    }
}
