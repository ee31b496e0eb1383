package dev.nest.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.artifact.PackageFormats;

/**
 * The {@code artifacts:} block.
 *
 * @param packageFormat {@code artifacts.package-format}: the manifest format of packages this node builds from
 *                      uploads; {@code auto} (the default) writes format 2 once every live node reads it, {@code 1}
 *                      and {@code 2} pin it (ADR 0027, "Format 2 by default, gated by the cluster")
 */
public record ArtifactsConfig(PackageFormats.Setting packageFormat) {
    /** {@code package-format: auto}. */
    public static final ArtifactsConfig DEFAULTS = new ArtifactsConfig(PackageFormats.Setting.AUTO);

    /** Reads the block; problems go to {@code r}. */
    static ArtifactsConfig read(ConfigReader r, JsonNode a) {
        String v = r.text(a, "artifacts.package-format", DEFAULTS.packageFormat().value());
        try {
            return new ArtifactsConfig(PackageFormats.Setting.parse(v));
        } catch (IllegalArgumentException e) {
            r.problem("artifacts.package-format", v, "auto (format 2 once every node reads it), 1 or 2");
            return DEFAULTS;
        }
    }
}
