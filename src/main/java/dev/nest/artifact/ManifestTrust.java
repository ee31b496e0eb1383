package dev.nest.artifact;

import java.util.HexFormat;
import java.util.Optional;

/**
 * Whether a fetched manifest can be trusted, so that a fetch checks its chunks only instead of hashing every unpacked
 * file. The node that verified an upload records the sha256 of the package's manifest with the package in the
 * cluster (ZooKeeper); a fetching node reads that record and passes it here with the manifest bytes a peer served.
 *
 * <p>The decision is pure: {@link Mode#CHUNKS_ONLY} only when a recorded sha256 is present and equals the sha256 of
 * the served bytes; then every chunk digest in the manifest is trusted, each chunk's bytes are checked against it,
 * and the content digest is covered through the manifest (the verifying node computed it from the files). In every
 * other case (no record, a record that is not a sha256, a different manifest: another packing of the same content or
 * a tampered one) the fetch falls back to {@link Mode#FULL}: every file is hashed and the content digest recomputed,
 * so a tampered manifest or chunk is rejected either way. Stateless and thread-safe.
 */
final class ManifestTrust {
    private ManifestTrust() {
    }

    /** How a fetch verifies what a peer served. */
    enum Mode {
        /** The manifest matches the recorded sha256: check each chunk's sha256, hash no file. */
        CHUNKS_ONLY,
        /** Not trusted: check each chunk's sha256 and hash every file for the content digest. */
        FULL
    }

    /** The decision and why (for the log and the fetch's stages). */
    record Decision(Mode mode, String reason) {
    }

    /**
     * Decides how to verify {@code manifestJson} given the sha256 (hex) the cluster recorded for the package, if any.
     */
    static Decision decide(Optional<String> recordedSha256, byte[] manifestJson) {
        if (recordedSha256.isEmpty()) {
            return new Decision(Mode.FULL, "no manifest digest is recorded for the package");
        }
        String recorded = recordedSha256.get();
        if (!recorded.matches("[0-9a-f]{64}")) {
            return new Decision(Mode.FULL, "the recorded manifest digest '" + recorded + "' is not 64 lowercase hex digits");
        }
        String actual = sha256(manifestJson);
        if (!actual.equals(recorded)) {
            return new Decision(Mode.FULL, "the served manifest hashes to " + actual + ", not the recorded " + recorded);
        }
        return new Decision(Mode.CHUNKS_ONLY, "the served manifest matches the recorded digest");
    }

    /** The sha256 (hex) of a manifest's bytes, as recorded in the cluster. */
    static String sha256(byte[] manifestJson) {
        return HexFormat.of().formatHex(Digests.sha256().digest(manifestJson));
    }
}
