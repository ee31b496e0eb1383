package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeMap;

/**
 * The digests of the package store: a package's content digest ({@code sha256:<hex>} over its sorted paths and file
 * hashes, independent of archive order and timestamps), a file's sha256, and the checks of digests given by callers.
 * Stateless and thread-safe.
 */
final class Digests {
    private Digests() {
    }

    /** sha256 over the sorted (path, file hash) list: independent of archive order and timestamps. */
    static String digestOf(TreeMap<String, String> hashes) {
        MessageDigest md = sha256();
        hashes.forEach((path, h) -> {
            md.update(path.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(h.getBytes(StandardCharsets.US_ASCII));
            md.update((byte) '\n');
        });
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    static String hashFile(Path f) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The hex part of a package digest {@code sha256:<64 hex digits>}; 400 for anything else. */
    static String hex(String digest) {
        if (!digest.matches("sha256:[0-9a-f]{64}")) {
            throw new ArtifactException(400, "'" + digest + "' is not a package digest; expected sha256:<64 hex digits>");
        }
        return digest.substring(7);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
