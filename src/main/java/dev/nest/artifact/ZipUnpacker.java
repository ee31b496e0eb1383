package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Unpacks an uploaded zip package into a staging directory under {@link PackageLimits}: the upload is spooled to a
 * file first (a zip's central directory is at its end, and reading it is the only way to tell a complete upload
 * from one cut short), then every entry is written under the stage and hashed.
 *
 * <p>Failure: a package over the limits, an entry that would escape the stage or appears twice, or a file that is
 * not a complete zip throws {@link ArtifactException} 400 naming the entry or the limit; what was written stays in
 * the stage, which the caller deletes. Stateless and thread-safe.
 */
final class ZipUnpacker {
    /** What a zip unpacked to: each file's sha256 (hex) by path, and the bytes of all files. */
    record Unzipped(TreeMap<String, String> hashes, long bytes) {
    }

    private ZipUnpacker() {
    }

    /** Spools {@code zip} to {@code spooled}, then unpacks it into {@code stage} (which exists). */
    static Unzipped unpack(InputStream zip, Path stage, Path spooled, PackageLimits limits) throws IOException {
        byte[] buf = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(spooled)) {
            copy(zip, out, buf, 0, limits.maxBytes(), "the package is larger than " + limits.maxBytes()
                    + " bytes; make it smaller or raise the limit");
        }
        TreeMap<String, String> hashes = new TreeMap<>();
        long total = 0;
        try (ZipFile file = new ZipFile(spooled.toFile(), StandardCharsets.UTF_8)) {
            if (file.size() > limits.maxEntries()) {
                throw new ArtifactException(400, "the package has more than " + limits.maxEntries() + " entries ("
                        + file.size() + "); leave build caches and test data out of the package");
            }
            for (var it = file.entries().asIterator(); it.hasNext(); ) {
                ZipEntry e = it.next();
                String rel = PackageArchive.safeName(e.getName());
                Path target = stage.resolve(rel).normalize();
                if (!target.startsWith(stage) || target.equals(stage)) {
                    if (target.equals(stage) && e.isDirectory()) {
                        continue;
                    }
                    throw new ArtifactException(400, "package entry '" + e.getName() + "' points outside the package; "
                            + "use relative paths without '..'");
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                MessageDigest md = Digests.sha256();
                try (InputStream in = file.getInputStream(e);
                     OutputStream out = new DigestOutputStream(Files.newOutputStream(target), md)) {
                    total = copy(in, out, buf, total, limits.maxBytes(), "the package unpacks to more than "
                            + limits.maxBytes() + " bytes; make it smaller or raise the limit");
                }
                if (hashes.put(rel, HexFormat.of().formatHex(md.digest())) != null) {
                    throw new ArtifactException(400, "package entry '" + rel + "' appears twice");
                }
            }
        } catch (ZipException | java.io.EOFException ze) {
            throw new ArtifactException(400, "the package is not a valid zip archive (" + ze.getMessage()
                    + "); upload a complete zip of the function's directory (nest fn deploy does this)", ze);
        }
        if (hashes.isEmpty()) {
            throw new ArtifactException(400, "the package is empty; upload a zip of the function's directory "
                    + "(nest fn deploy does this)");
        }
        return new Unzipped(hashes, total);
    }

    /**
     * Copies {@code in} to {@code out} through {@code buf}, counting on from {@code total}; returns the new count.
     * Throws {@link ArtifactException} 400 with {@code tooLarge} as soon as the count passes {@code max}.
     */
    private static long copy(InputStream in, OutputStream out, byte[] buf, long total, long max, String tooLarge)
            throws IOException {
        long count = total;
        int n;
        while ((n = in.read(buf)) > 0) {
            count += n;
            if (count > max) {
                throw new ArtifactException(400, tooLarge);
            }
            out.write(buf, 0, n);
        }
        return count;
    }
}
