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
 */
public record RuntimeDefinition(String name, Path dir, List<String> launch, String defaultHandler, String image,
                                int memoryMb, int pool, int maxFunctions, List<String> preload,
                                List<String> mergedLaunch) {
    public RuntimeDefinition {
        mergedLaunch = List.copyOf(mergedLaunch);
    }

    /** A runtime without a merged host. */
    public RuntimeDefinition(String name, Path dir, List<String> launch, String defaultHandler, String image,
                             int memoryMb, int pool, int maxFunctions, List<String> preload) {
        this(name, dir, launch, defaultHandler, image, memoryMb, pool, maxFunctions, preload, List.of());
    }

    /** Whether this runtime can host several functions in one pod. */
    public boolean canMerge() {
        return !mergedLaunch.isEmpty() && maxFunctions > 1;
    }
}
