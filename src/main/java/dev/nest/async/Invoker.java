package dev.nest.async;

import dev.nest.function.FunctionVersion;
import java.util.concurrent.CompletableFuture;

/** Delivers one leased event to its function; the dispatcher's only way to run code (see {@link LoopbackInvoker}). */
public interface Invoker {
    /** Sends the event's request to {@code version}; completes (never exceptionally) with what happened. */
    CompletableFuture<Outcome> deliver(Event event, FunctionVersion version);
}
