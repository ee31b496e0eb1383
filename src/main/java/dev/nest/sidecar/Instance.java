package dev.nest.sidecar;

import dev.nest.function.FunctionVersion;
import dev.nest.spi.Pod;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One function version loaded into one pod. Its mutable counters are guarded by the owning
 * {@link InstanceSet}'s lock; {@link #state} moves only through {@link #moveTo}, which refuses illegal moves.
 */
public final class Instance {
    private final String id;
    private final FunctionVersion version;
    private volatile InstanceState state = InstanceState.STARTING;
    private volatile Pod pod;
    private volatile HostClient client;
    private volatile int port;
    final Map<String, Double> startPhases = new ConcurrentHashMap<>();
    int inFlight;
    long lastUsedNanos;
    long served;

    Instance(String id, FunctionVersion version, long nowNanos) {
        this.id = id;
        this.version = version;
        this.lastUsedNanos = nowNanos;
    }

    public String id() {
        return id;
    }

    public FunctionVersion version() {
        return version;
    }

    public InstanceState state() {
        return state;
    }

    public HostClient client() {
        return client;
    }

    public int port() {
        return port;
    }

    Pod pod() {
        return pod;
    }

    void attach(Pod pod, HostClient client, int port) {
        this.pod = pod;
        this.client = client;
        this.port = port;
    }

    /** Moves to {@code next}; returns false if already STOPPED (a late event), throws on any other illegal move. */
    synchronized boolean moveTo(InstanceState next) {
        if (state == next) {
            return false;
        }
        if (!state.canMoveTo(next)) {
            if (state == InstanceState.STOPPED) {
                return false;
            }
            throw new IllegalStateException("instance " + id + " cannot move from " + state + " to " + next);
        }
        state = next;
        return true;
    }

    @Override
    public String toString() {
        return id + "(" + version.spec().id() + "@" + version.version() + ", " + state + ")";
    }
}
