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
 * @param maxFunctions   functions one pod may host
 * @param preload        modules or classes loaded before specialization
 */
public record RuntimeDefinition(String name, Path dir, List<String> launch, String defaultHandler, String image,
                                int memoryMb, int pool, int maxFunctions, List<String> preload) {
}
