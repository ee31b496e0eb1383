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

    /**
     * The Unix domain socket its runtime host was asked to listen on besides its port, as the node sees the path
     * (ADR 0032); empty when the driver gives none (the host is called over TCP only). The host may not have bound it.
     */
    default java.util.Optional<java.nio.file.Path> hostSocket() {
        return java.util.Optional.empty();
    }
}
