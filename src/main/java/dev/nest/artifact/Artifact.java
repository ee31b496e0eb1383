package dev.nest.artifact;

import java.nio.file.Path;

/**
 * A stored package.
 *
 * @param digest  {@code sha256:<hex>} of the unpacked content (paths and bytes, order-independent)
 * @param files   number of regular files
 * @param bytes   unpacked size
 * @param codeDir the unpacked, read-only directory
 */
public record Artifact(String digest, int files, long bytes, Path codeDir) {
}
