package dev.nest.sidecar;

import dev.nest.function.FunctionVersion;
import java.util.Optional;

/**
 * What the gateway needs from the node agent: an instance of a function version for one invocation, without
 * blocking, and a way to stop waiting for one. The lease itself is given back with {@link Lease#release}.
 * Implemented by {@link NodeAgent}; tests of the gateway use a fake.
 */
public interface InstanceLeases {
    /**
     * A ready instance of {@code version} at once, or a future one. Waiting ends at {@code deadlineNanos}
     * (in the terms of the agent's time source: {@code System.nanoTime} in production) or after the function's
     * {@code queue.timeout}.
     *
     * @throws InvokeException 429 when the function's queue is full, 503 when the node is stopping
     */
    Pending acquireAsync(FunctionVersion version, long deadlineNanos);

    /**
     * Stops waiting. Returns the error to answer with, or empty when an instance was handed over at the same
     * moment (then {@link Pending#later()} completes with it and must be used).
     */
    Optional<InvokeException> cancel(Pending p);
}
