package dev.nest.artifact;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How long the stages of one package fetch took, in ms. Chunks go through the stages pipelined, on several
 * threads: a stage's time is the wall time during which at least one chunk was in it (the union of the chunks'
 * intervals), so the three stages overlap and may sum to more than {@code totalMs}.
 *
 * @param totalMs      wall time of the whole fetch, manifest to committed directory
 * @param fetchMs      downloading the manifest and the chunks (or reading chunks already in the node's chunk cache)
 *                     and handing them to that cache (written after the commit unless the writer's memory
 *                     bound is reached)
 * @param decompressMs checking each compressed chunk's sha256 and decompressing it
 * @param unpackMs     writing the files, hashing each for the content digest (not when the manifest is trusted),
 *                     checking that digest and committing
 */
public record FetchStages(double totalMs, double fetchMs, double decompressMs, double unpackMs) {
    /** The stages as the invocation record's phases: {@code fetch}, {@code decompress}, {@code unpack}, in order. */
    public Map<String, Double> phases() {
        Map<String, Double> p = new LinkedHashMap<>();
        p.put("fetch", fetchMs);
        p.put("decompress", decompressMs);
        p.put("unpack", unpackMs);
        return p;
    }
}
