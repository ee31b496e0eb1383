package dev.nest.sidecar;

import java.util.Optional;

/**
 * Where the node agent gets a version's unpacked code from. An implementation that has to fetch, decompress and
 * unpack a package first reports how long each step took, so that a cold start's record shows it.
 */
@FunctionalInterface
public interface CodeSource {
    /**
     * The unpacked code of package {@code digest} on this node, fetching it first if needed and preparing it for
     * {@code runtime} (Java sources are compiled where the package is unpacked); empty when no source holds it.
     *
     * @throws RuntimeException with a message naming the package when fetching or preparing it failed
     */
    Optional<CodeDir> resolve(String digest, String runtime);

}
