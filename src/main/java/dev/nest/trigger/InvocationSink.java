package dev.nest.trigger;

import dev.nest.function.FunctionId;
import java.util.concurrent.CompletableFuture;

/**
 * Where trigger sources hand their events: the function's live version, through the same path as a request to its
 * URL (an event-only function, {@code http: false}, is invoked too). Thread-safe.
 */
public interface InvocationSink {
    /**
     * Enqueues an async invocation on the durable path (the async queue: retries, dead letters and the ledger apply).
     * Completes once the event is durable, with its invocation id; exceptionally with a {@link TriggerException} when
     * refused (the function is gone, the payload too large, the queue unavailable).
     */
    CompletableFuture<String> enqueue(FunctionId function, TriggerEvent event);

    /** Invokes synchronously; completes with the function's answer, exceptionally when it could not be reached. */
    CompletableFuture<Response> invoke(FunctionId function, TriggerEvent event);

    /**
     * Stops an async invocation fired earlier, wherever in the region it is (see {@link RegionStops}): withdrawn while
     * it waits (in the queue, or for an instance), its caller answered 409 and its instance drained and stopped while
     * it runs, here or on the node it was forwarded to; asked of the node its id names when this node does not hold
     * it. Completes with what happened, never exceptionally. Default: nothing is stopped ({@code NOT_STOPPED}).
     */
    default CompletableFuture<StopResult> stop(String invocationId, String reason) {
        return CompletableFuture.completedFuture(StopResult.of(StopResult.Outcome.NOT_STOPPED,
                "this invocation path cannot stop invocations"));
    }

    /** Where an async invocation this node enqueued is; {@link RunState#UNKNOWN} when this node has no record of it. */
    RunState state(String invocationId);

    /** A synchronous answer. */
    record Response(int status, byte[] body) {
    }

    /** An async invocation's progress, as a concurrency policy needs it. */
    enum RunState {
        /** Waiting for its first or next attempt. */
        WAITING,
        /** An attempt is under way. */
        RUNNING,
        /** Succeeded, failed or dead. */
        FINISHED,
        /** Not known here (enqueued on another node, or expired from the ledger). */
        UNKNOWN
    }
}
