package dev.nest.sidecar;

import dev.nest.config.NestConfig;
import dev.nest.function.DeployMode;
import dev.nest.function.FunctionSpec;
import dev.nest.runtime.RuntimeDefinition;
import java.util.List;
import java.util.Optional;

/**
 * The pure decisions of merged placement (ADR 0025): whether an instance goes to a merged pod, and which merged pod
 * takes it. No I/O and no state; {@link MergedPods} applies them.
 *
 * <p>Packing: a merged pod of a runtime holds at most the runtime's {@code max-functions} instances, and its
 * functions' memory together at most {@link #functionsMemoryMb} (the runtime's {@code max-functions} times its
 * default memory); the pod's memory limit is that plus {@code sidecar.merged-host-memory}. Among the pods with room
 * the fullest by memory wins (best fit, so that pods fill up and empty ones can stop); ties go to the earliest pod.
 * Pods of another namespace are never chosen unless {@code sidecar.merge-across-namespaces} is true.
 */
final class MergedPlacement {
    private MergedPlacement() {
    }

    /** What a merged pod holds now, as packing sees it. */
    record PodRoom(String namespace, int functions, int memoryMb, boolean accepting) {
    }

    /** Memory (MiB) all the functions of one merged pod of {@code runtime} may use together. */
    static int functionsMemoryMb(RuntimeDefinition runtime) {
        return runtime.maxFunctions() * runtime.memoryMb();
    }

    /** The memory limit (MiB) of a merged pod of {@code runtime}: its functions' room plus the host's base. */
    static int podMemoryMb(RuntimeDefinition runtime, NestConfig.Merged config) {
        return functionsMemoryMb(runtime) + config.hostMemoryMb();
    }

    /**
     * Whether an instance of {@code spec} goes to a merged pod: never when the function says {@code dedicated}, its
     * runtime has no merged host, or its memory exceeds a merged pod's room; always when it says {@code merged};
     * for {@code auto} while its recent traffic is under {@code sidecar.merge-below} requests per minute (0 turns
     * auto merging off).
     *
     * @param perMinute the function's requests over the last minute on this node
     */
    static boolean merged(FunctionSpec spec, RuntimeDefinition runtime, double perMinute, NestConfig.Merged config) {
        if (spec.deploy() == DeployMode.DEDICATED || !runtime.canMerge()
                || spec.memoryMb() > functionsMemoryMb(runtime)) {
            return false;
        }
        return spec.deploy() == DeployMode.MERGED || perMinute < config.mergeBelow();
    }

    /**
     * Whether a ready instance of a {@code deploy: auto} function should move: {@code false} (to a pod of its own)
     * when it is merged and its traffic reached {@code sidecar.merge-below} per minute, {@code true} (back into a
     * merged pod) when it is dedicated and its traffic fell under half of that (a band, so that traffic near the
     * threshold does not move it back and forth); empty when it stays. Functions that are not {@code auto}, runtimes
     * without a merged host, functions too large for a merged pod and {@code merge-below: 0} never move.
     */
    static Optional<Boolean> move(boolean merged, FunctionSpec spec, RuntimeDefinition runtime, double perMinute,
                                  NestConfig.Merged config) {
        if (spec.deploy() != DeployMode.AUTO || config.mergeBelow() == 0 || !runtime.canMerge()
                || spec.memoryMb() > functionsMemoryMb(runtime)) {
            return Optional.empty();
        }
        if (merged && perMinute >= config.mergeBelow()) {
            return Optional.of(false);
        }
        if (!merged && perMinute < config.mergeBelow() / 2.0) {
            return Optional.of(true);
        }
        return Optional.empty();
    }

    /**
     * The index in {@code pods} of the pod an instance of {@code memoryMb} in {@code namespace} joins, or empty when
     * none has room (a new merged pod is then started).
     */
    static Optional<Integer> choose(List<PodRoom> pods, String namespace, int memoryMb, RuntimeDefinition runtime,
                                    boolean acrossNamespaces) {
        int room = functionsMemoryMb(runtime);
        int best = -1;
        for (int i = 0; i < pods.size(); i++) {
            PodRoom p = pods.get(i);
            boolean fits = p.accepting() && p.functions() < runtime.maxFunctions() && p.memoryMb() + memoryMb <= room
                    && (acrossNamespaces || p.namespace().equals(namespace));
            if (fits && (best < 0 || p.memoryMb() > pods.get(best).memoryMb())) {
                best = i;
            }
        }
        return best < 0 ? Optional.empty() : Optional.of(best);
    }
}
