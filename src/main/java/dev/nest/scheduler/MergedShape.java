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
 */
public record MergedShape(int maxFunctions, int roomMb, boolean acrossNamespaces) {
    /** A shape that never needs a second pod: what a request without a known shape is counted with. */
    public static final MergedShape UNBOUNDED = new MergedShape(Integer.MAX_VALUE, Integer.MAX_VALUE, false);

    public MergedShape {
        if (maxFunctions < 1 || roomMb < 1) {
            throw new IllegalArgumentException("a merged pod holds at least one function of at least 1 MiB, got max-functions "
                    + maxFunctions + " and " + roomMb + " MiB");
        }
    }
}
