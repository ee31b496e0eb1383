package dev.nest.scheduler;

/**
 * How one runtime's merged pods are packed (ADR 0025), as the scheduler counts them: at most {@code maxFunctions}
 * instances per pod ({@code max-functions} in its {@code runtime.yaml}) whose memory together fits {@code roomMb}
 * ({@code max-functions} times the runtime's default memory), and of one namespace unless {@code acrossNamespaces}
 * ({@code sidecar.merge-across-namespaces}).
 *
 * @param maxFunctions     instances one merged pod holds at most (at least 1)
 * @param roomMb           MiB of instance memory one merged pod holds at most (at least 1)
 * @param acrossNamespaces whether one merged pod may hold instances of several namespaces
 * @param baseMb           MiB a merged pod holds beyond its instances' memory (the host itself,
 *                         {@code sidecar.merged-host-memory}); the scheduler counts it once per merged pod
 * @param parkedMb         MiB the scheduler reserves for an instance its node reports parked (worker unloaded for
 *                         idleness) instead of its memory: what a parked function holds besides its pod's base
 *                         ({@link #PARKED_MB} by default); {@code Integer.MAX_VALUE}: a parked instance keeps its
 *                         whole memory reserved
 */
public record MergedShape(int maxFunctions, int roomMb, boolean acrossNamespaces, int baseMb, int parkedMb) {
    /**
     * What a parked Node.js function holds beyond its merged pod's host, rounded up: about 1.1 MiB charged to a
     * containerd pod's cgroup per parked function after its worker ended (the allocator keeps part of what the
     * worker used), 0.3 MiB of PSS on the process driver (ADR 0025, addenda; {@code distribution/bench-merged.sh}).
     */
    public static final int PARKED_MB = 2;
    /** A shape that never needs a second pod: what a request without a known shape is counted with. */
    public static final MergedShape UNBOUNDED = new MergedShape(Integer.MAX_VALUE, Integer.MAX_VALUE, false, 0,
            Integer.MAX_VALUE);

    public MergedShape {
        if (maxFunctions < 1 || roomMb < 1) {
            throw new IllegalArgumentException("a merged pod holds at least one function of at least 1 MiB, got max-functions "
                    + maxFunctions + " and " + roomMb + " MiB");
        }
        if (baseMb < 0) {
            throw new IllegalArgumentException("a merged pod's base memory is at least 0 MiB, got " + baseMb);
        }
        if (parkedMb < 0) {
            throw new IllegalArgumentException("a parked function's memory is at least 0 MiB, got " + parkedMb);
        }
    }

    /** A shape whose parked instances are reserved at {@link #PARKED_MB}. */
    public MergedShape(int maxFunctions, int roomMb, boolean acrossNamespaces, int baseMb) {
        this(maxFunctions, roomMb, acrossNamespaces, baseMb, PARKED_MB);
    }

    /** What an instance of {@code memoryMb} is reserved at: its memory, or {@link #parkedMb} when parked. */
    public long reserved(int memoryMb, boolean parked) {
        return parked ? Math.min(memoryMb, parkedMb) : memoryMb;
    }

    /** A shape whose pods hold nothing beyond their instances' memory. */
    public MergedShape(int maxFunctions, int roomMb, boolean acrossNamespaces) {
        this(maxFunctions, roomMb, acrossNamespaces, 0);
    }
}
