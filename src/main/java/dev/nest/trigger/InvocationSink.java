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
     * Cancels an async invocation this node enqueued: withdrawn while it waits, stopped (its instance recycled) while
     * an instance of this node runs it. Completes with true once it is stored as cancelled; false when it could not
     * be (unknown here, finished, waiting for an instance or run by another node, or a queue that cannot cancel).
     * Default: nothing is cancelled.
     */
    default CompletableFuture<Boolean> cancel(String invocationId, String reason) {
        return CompletableFuture.completedFuture(false);
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
