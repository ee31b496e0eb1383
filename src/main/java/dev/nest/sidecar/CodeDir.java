package dev.nest.sidecar;

import java.nio.file.Path;
import java.util.Map;

/**
 * An unpacked code package on this node.
 *
 * @param dir      the directory (pods read it, never write it)
 * @param phasesMs what it took to make it available for this start: {@code fetch}, {@code decompress} (with
 *                 verification) and {@code unpack} in ms; empty when the node already held it
 */
public record CodeDir(Path dir, Map<String, Double> phasesMs) {
    public CodeDir {
        phasesMs = Map.copyOf(phasesMs);
    }
}
