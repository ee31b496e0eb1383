package dev.nest.trigger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.function.FunctionId;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What a source gets: whom it invokes, its validated settings, where its events go and what it may use.
 *
 * @param function  the function the trigger belongs to
 * @param name      the trigger's name within the function
 * @param settings  its settings, validated by its provider
 * @param sink      the invocation path (sync, or async through the durable queue)
 * @param state     its own small stored state (ZooKeeper), written only by the leader and fenced by its epoch
 * @param clock     the wall clock to read
 * @param scheduler a shared scheduler for timed work (tasks must be short; never block it)
 */
public record TriggerContext(FunctionId function, String name, ObjectNode settings, InvocationSink sink,
                             TriggerState state, Clock clock, ScheduledExecutorService scheduler) {
    public TriggerContext {
        settings = settings.deepCopy();
    }
}
