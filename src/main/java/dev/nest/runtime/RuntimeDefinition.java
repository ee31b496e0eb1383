package dev.nest.runtime;

import java.nio.file.Path;
import java.util.List;

/**
 * One runtime as declared in its {@code runtime.yaml}.
 *
 * @param name           {@code nodejs}, {@code java}, ...
 * @param dir            the runtime's folder
 * @param launch         argv template with {@code ${...}} variables
 * @param defaultHandler handler used when a function names none
 * @param image          container image for the docker and containerd drivers
 * @param memoryMb       default memory for functions on this runtime
 * @param pool           generic pods kept warm per node
 * @param maxFunctions   functions one merged pod may host ({@code max-functions}, 1 to 10000)
 * @param preload        modules or classes loaded before specialization
 * @param mergedLaunch   argv of the host that serves merged pods ({@code merged-launch}); empty when the runtime has
 *                       none, and then its functions are always dedicated
 * @param mergedIsolation {@code merged-isolation}: {@link #WORKER} when the merged host ends one function's work on
 *                       its own when that function is unloaded (Node.js: its worker thread is terminated), so a
 *                       stopped or unhealthy instance leaves alone; {@link #SHARED} (the default) when it cannot
 *                       (Java threads cannot be stopped), so its neighbours move to a fresh pod and the pod goes
 * @param pipelining     {@code pipelining}: whether the host runs requests that arrive pipelined on one connection at
 *                       the same time and answers them in order (Node's {@code http} server does), so the gateway may
 *                       write several invocations to it on one connection ({@code gateway.pipeline-depth}); false (the
 *                       default) for a host that serves a connection's requests one after another, where pipelining
 *                       would run concurrent invocations in a row
 */
public record RuntimeDefinition(String name, Path dir, List<String> launch, String defaultHandler, String image,
                                int memoryMb, int pool, int maxFunctions, List<String> preload,
                                List<String> mergedLaunch, String mergedIsolation, boolean pipelining) {
    /** {@code merged-isolation: worker}: unloading a function ends its work, the pod's other functions stay. */
    public static final String WORKER = "worker";
    /** {@code merged-isolation: shared}: a function's work ends only with its pod. */
    public static final String SHARED = "shared";

    public RuntimeDefinition {
        mergedLaunch = List.copyOf(mergedLaunch);
        if (!mergedIsolation.equals(WORKER) && !mergedIsolation.equals(SHARED)) {
            throw new IllegalArgumentException("key 'merged-isolation': value '" + mergedIsolation
                    + "' is not valid; allowed: worker (unloading a function ends its work alone), shared");
        }
    }

    /** A runtime whose host is not written to for pipelined requests. */
    public RuntimeDefinition(String name, Path dir, List<String> launch, String defaultHandler, String image,
                             int memoryMb, int pool, int maxFunctions, List<String> preload, List<String> mergedLaunch,
                             String mergedIsolation) {
        this(name, dir, launch, defaultHandler, image, memoryMb, pool, maxFunctions, preload, mergedLaunch,
                mergedIsolation, false);
    }

    /** A runtime whose merged host cannot end one function's work alone ({@link #SHARED}). */
    public RuntimeDefinition(String name, Path dir, List<String> launch, String defaultHandler, String image,
                             int memoryMb, int pool, int maxFunctions, List<String> preload, List<String> mergedLaunch) {
        this(name, dir, launch, defaultHandler, image, memoryMb, pool, maxFunctions, preload, mergedLaunch, SHARED);
    }

    /** A runtime without a merged host. */
    public RuntimeDefinition(String name, Path dir, List<String> launch, String defaultHandler, String image,
                             int memoryMb, int pool, int maxFunctions, List<String> preload) {
        this(name, dir, launch, defaultHandler, image, memoryMb, pool, maxFunctions, preload, List.of());
    }

    /** Whether unloading one function from a merged pod ends its work without touching its neighbours. */
    public boolean unloadEndsWorkAlone() {
        return mergedIsolation.equals(WORKER);
    }

    /** Whether this runtime can host several functions in one pod. */
    public boolean canMerge() {
        return !mergedLaunch.isEmpty() && maxFunctions > 1;
    }
}
