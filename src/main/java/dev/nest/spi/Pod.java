package dev.nest.spi;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A running pod. */
public interface Pod {
    String id();

    /** Completes with the exit code (or -1 when unknown) when the pod stops for any reason. */
    CompletableFuture<Integer> exited();

    /** Asks the host to stop, then forces it after {@code grace}; returns when the pod is gone. */
    void stop(Duration grace);

    /** Engine-specific facts for diagnostics (pid, container id). */
    String describe();
}
