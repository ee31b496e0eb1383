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
 */
public record MergedShape(int maxFunctions, int roomMb, boolean acrossNamespaces, int baseMb) {
    /** A shape that never needs a second pod: what a request without a known shape is counted with. */
    public static final MergedShape UNBOUNDED = new MergedShape(Integer.MAX_VALUE, Integer.MAX_VALUE, false, 0);

    public MergedShape {
        if (maxFunctions < 1 || roomMb < 1) {
            throw new IllegalArgumentException("a merged pod holds at least one function of at least 1 MiB, got max-functions "
                    + maxFunctions + " and " + roomMb + " MiB");
        }
        if (baseMb < 0) {
            throw new IllegalArgumentException("a merged pod's base memory is at least 0 MiB, got " + baseMb);
        }
    }

    /** A shape whose pods hold nothing beyond their instances' memory. */
    public MergedShape(int maxFunctions, int roomMb, boolean acrossNamespaces) {
        this(maxFunctions, roomMb, acrossNamespaces, 0);
    }
}
