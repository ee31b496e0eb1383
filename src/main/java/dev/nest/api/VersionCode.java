package dev.nest.api;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a version's code can be read on this node: the unpacked, read-only directory of a code package, fetched
 * from a node that holds it when this one does not ({@code deploy.CodeFetcher#ensureLocal}). Empty when no node
 * holds the package any more.
 */
@FunctionalInterface
public interface VersionCode {
    /** No code anywhere (for tests and nodes without packages). */
    VersionCode NONE = (digest, runtime) -> Optional.empty();

    /** The unpacked directory of the package {@code digest}, prepared for {@code runtime}. */
    Optional<Path> directory(String digest, String runtime);
}
