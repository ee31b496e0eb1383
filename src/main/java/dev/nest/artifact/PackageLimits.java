package dev.nest.artifact;

/**
 * Bounds on what one package may unpack to, against zip bombs and mistakes (a whole home directory).
 *
 * @param maxBytes   unpacked bytes
 * @param maxEntries files and directories
 */
public record PackageLimits(long maxBytes, int maxEntries) {
    public static final PackageLimits DEFAULT = new PackageLimits(1L << 30, 100_000);
}
