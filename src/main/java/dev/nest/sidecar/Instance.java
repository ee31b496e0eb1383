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
    /** When this instance's start began, in the agent's time. */
    final long startedNanos;
    private volatile InstanceState state = InstanceState.STARTING;
    private volatile Pod pod;
    private volatile HostClient client;
    private volatile int port;
    final Map<String, Double> startPhases = new ConcurrentHashMap<>();
    int inFlight;
    /** Retired (see {@link Lease#retire}): takes no new request, stops when {@link #inFlight} reaches 0. */
    boolean retired;
    /** Whether the stop of a retired instance was claimed (so that it is stopped once). */
    boolean retiredStopClaimed;
    /**
     * Retired because one of its invocations was stopped ({@link Lease#stop}): once its other requests in flight
     * ended, its pod stops without the stop grace, so the stopped invocation's code ends then.
     */
    volatile boolean stopWhenIdle;
    long lastUsedNanos;
    long served;
    /** CPU cores in use over the last sampling interval; NaN until two readings exist or while not measured. */
    private volatile double cpuCores = Double.NaN;
    /** Memory in use at the last reading, bytes; -1 while not measured. */
    private volatile long memoryBytes = -1;
    private long lastCpuNanos = -1;
    private long lastSampleNanos;
    /** How fast it allocates in a merged Java pod ({@link MergedPods#sample}); -1 elsewhere. */
    final AllocationRate allocation = new AllocationRate();
    /**
     * Started as a burst worker: in a merged pod although its function runs in pods of its own, because the node had
     * its steady count of the function already ({@link MergedPlacement#start}). Requests take it after the function's
     * other free instances, and a scale-down stops it first ({@link InstanceSet}); a move by traffic leaves it alone.
     * Set before the instance is ready, never changed after.
     */
    volatile boolean burst;
    /** Its place in a merged pod; null while it is not merged (a pod of its own). */
    private volatile MergedPods.Membership membership;
    /** In a merged pod whose host parks idle functions: its worker is unloaded (ADR 0025), as last sampled. */
    private volatile boolean parked;

    Instance(String id, FunctionVersion version, long nowNanos) {
        this.id = id;
        this.version = version;
        this.startedNanos = nowNanos;
        this.lastUsedNanos = nowNanos;
    }

    /**
     * An instance outside any node agent, served by the runtime host behind {@code client}: what an
     * {@link InstanceLeases} other than the node agent's (a test's fake) hands out in its leases.
     */
    public static Instance serving(String id, FunctionVersion version, HostClient client) {
        Instance i = new Instance(id, version, 0);
        i.attach(null, client, client.port());
        return i;
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

    /** CPU cores in use (see {@link UsageSampler}); NaN when not measured. */
    double cpuCores() {
        return cpuCores;
    }

    /** Memory in use in bytes; -1 when not measured. */
    long memoryBytes() {
        return memoryBytes;
    }

    /** One reading of the pod's usage at {@code nowNanos}; called by the sampler thread only. */
    void observeUsage(java.util.Optional<dev.nest.spi.PodUsage> usage, long nowNanos) {
        if (usage.isEmpty()) {
            cpuCores = Double.NaN;
            memoryBytes = -1;
            lastCpuNanos = -1;
            return;
        }
        long cpu = usage.get().cpuNanos();
        long wall = nowNanos - lastSampleNanos;
        if (lastCpuNanos >= 0 && cpu >= lastCpuNanos && wall > 0) {
            cpuCores = (double) (cpu - lastCpuNanos) / wall;
        } else if (lastCpuNanos >= 0 && cpu < lastCpuNanos) {
            cpuCores = Double.NaN; // the counter went back: start the rate afresh
        }
        lastCpuNanos = cpu;
        lastSampleNanos = nowNanos;
        memoryBytes = usage.get().memoryBytes();
    }

    /**
     * One reading of its own share of a merged pod: CPU time so far, and memory when the host can tell it apart
     * ({@code memoryBytes} -1: a Java function's heap is the pod's, so only its CPU and allocation are its own).
     */
    void observeOwnUsage(long cpuNanos, long memoryBytes, long nowNanos) {
        observeUsage(java.util.Optional.of(new dev.nest.spi.PodUsage(Math.max(0, cpuNanos), Math.max(0, memoryBytes))),
                nowNanos);
        if (memoryBytes < 0) {
            this.memoryBytes = -1;
        }
    }

    /** Bytes per second it allocated over the last 10 s in a merged Java pod; -1 when not measured. */
    double allocationBytesPerSecond() {
        return allocation.bytesPerSecond();
    }

    /** Its place in a merged pod, when it has one. */
    java.util.Optional<MergedPods.Membership> membership() {
        return java.util.Optional.ofNullable(membership);
    }

    /**
     * Whether its merged host unloaded its worker for idleness at the last reading ({@link MergedPods#sample}): it
     * holds little more than its spec until its next request starts a worker again.
     */
    boolean parked() {
        return parked && membership != null;
    }

    void parked(boolean now) {
        this.parked = now;
    }

    /** Whether it runs in a merged pod shared with other instances. */
    boolean merged() {
        return membership != null;
    }

    void joined(MergedPods.Membership m) {
        this.membership = m;
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
