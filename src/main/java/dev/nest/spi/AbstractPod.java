package dev.nest.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A pod whose end is reported through {@link #exited()} and whose {@link #stop} is the {@link PodStop} sequence:
 * {@link #terminate()}, wait up to the grace period, {@link #force()}, wait up to {@link #FORCE_WAIT} for the exit
 * report, then complete {@link #exited()} with -1 if nothing was reported, and {@link #released()}.
 *
 * <p>Threading: {@link #stop} may be called from any thread, more than once; each call runs the whole sequence (the
 * steps must tolerate a pod that is gone). {@link #stopping()} is true from the first call on, so that watchers can
 * tell an asked-for end from a crash.
 */
public abstract class AbstractPod implements Pod {
    /** How long {@link #stop} waits for the end to be reported after {@link #force()}. */
    public static final Duration FORCE_WAIT = Duration.ofSeconds(5);

    private final String id;
    private final long memoryBytes;
    private final CompletableFuture<Integer> exited = new CompletableFuture<>();
    private final AtomicBoolean stopping = new AtomicBoolean();

    /** A pod {@code id} whose memory limit is {@code memoryBytes}. */
    protected AbstractPod(String id, long memoryBytes) {
        this.id = Objects.requireNonNull(id, "id");
        this.memoryBytes = memoryBytes;
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final CompletableFuture<Integer> exited() {
        return exited;
    }

    /** Whether {@link #stop} has been called. */
    protected final boolean stopping() {
        return stopping.get();
    }

    /** The last line of a pod whose {@code container} was killed for exceeding its memory limit (the function's). */
    protected final String outOfMemoryLine(String container) {
        return "nest: container " + container + " was killed: out of memory (limit " + memoryBytes / (1024 * 1024)
                + " MiB, the function's memory)";
    }

    @Override
    public void stop(Duration grace) {
        stopping.set(true);
        PodStop.run(exited, grace, FORCE_WAIT, this::terminate, this::force);
        exited.complete(-1);
        released();
    }

    /** Asks the host to end (SIGTERM); errors are logged, not thrown. */
    protected abstract void terminate();

    /** Ends the pod for good (SIGKILL, removal); whether its end is still to be reported and worth waiting for. */
    protected abstract boolean force();

    /** Releases what watched the pod (streams, FIFOs), after {@link #exited()} completed. */
    protected abstract void released();
}
