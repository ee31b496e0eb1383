package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Unpacks an uploaded zip package into a staging directory under {@link PackageLimits}: the upload is spooled to a
 * file first (a zip's central directory is at its end, and reading it is the only way to tell a complete upload
 * from one cut short), its central directory is judged as a whole by {@link ZipDirectory} (names, kinds, duplicates,
 * file/directory clashes, entry count and declared sizes) before anything is written, then every file is written
 * under the stage and hashed. Writing counts every byte against the entry's declared size and the limit, since
 * declared sizes can lie, and never follows a link (each file is created new).
 *
 * <p>Failure: a package over the limits, an entry that breaks a rule, or a file that is not a complete zip throws
 * {@link ArtifactException} 400 naming the entry or the limit and never a server path; what was written stays in
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
            copy(zip, out, buf, 0, limits.maxBytes(), () -> "the package is larger than " + limits.maxBytes()
                    + " bytes; make it smaller or raise the limit");
        }
        ZipDirectory.Plan plan = ZipDirectory.plan(ZipDirectory.read(spooled), limits);
        if (plan.files().isEmpty()) {
            throw new ArtifactException(400, "the package is empty; upload a zip of the function's directory "
                    + "(nest fn deploy does this)");
        }
        TreeMap<String, String> hashes = new TreeMap<>();
        long total = 0;
        try (ZipFile file = new ZipFile(spooled.toFile(), StandardCharsets.UTF_8)) {
            for (String d : new TreeSet<>(plan.directories())) {
                Files.createDirectories(stage.resolve(d));
            }
            for (var f : plan.files().entrySet()) {
                String rel = f.getKey();
                ZipEntry e = file.getEntry(f.getValue());
                if (e == null || e.isDirectory()) {
                    throw new ArtifactException(400, "package entry '" + f.getValue() + "' cannot be read from the zip; "
                            + "upload a zip made by a standard tool (nest fn deploy does this)");
                }
                long declared = e.getSize();
                long before = total;
                Path target = stage.resolve(rel);
                MessageDigest md = Digests.sha256();
                try (InputStream in = file.getInputStream(e);
                     OutputStream out = new DigestOutputStream(Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                             StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), md)) {
                    // bounded by what the entry declares (already checked against the limit) and by the limit itself
                    long max = declared < 0 ? limits.maxBytes() : Math.min(limits.maxBytes(), before + declared);
                    total = copy(in, out, buf, total, max, () -> max == limits.maxBytes()
                            ? "the package unpacks to more than " + limits.maxBytes() + " bytes; make it smaller or raise the limit"
                            : "package entry '" + f.getValue() + "' unpacks to more than the " + declared
                            + " bytes it declares; the zip is damaged or forged: make it again");
                } catch (FileAlreadyExistsException clash) {
                    throw new ArtifactException(400, "package entry '" + f.getValue() + "' appears twice; keep one of them");
                }
                hashes.put(rel, HexFormat.of().formatHex(md.digest()));
            }
        } catch (ZipException | java.io.EOFException ze) {
            throw new ArtifactException(400, "the package is not a valid zip archive (" + withoutPath(ze, spooled)
                    + "); upload a complete zip of the function's directory (nest fn deploy does this)", ze);
        }
        return new Unzipped(hashes, total);
    }

    /** An exception's message with {@code file}'s path taken out: errors never show server paths. */
    static String withoutPath(Exception e, Path file) {
        String m = String.valueOf(e.getMessage());
        return m.replace(file.toAbsolutePath().toString(), "the upload").replace(file.toString(), "the upload");
    }

    /**
     * Copies {@code in} to {@code out} through {@code buf}, counting on from {@code total}; returns the new count.
     * Throws {@link ArtifactException} 400 with {@code tooLarge} as soon as the count passes {@code max}.
     */
    private static long copy(InputStream in, OutputStream out, byte[] buf, long total, long max, Supplier<String> tooLarge)
            throws IOException {
        long count = total;
        int n;
        // never read more than one byte past the bound: an entry that lies is stopped at its declared size
        while ((n = in.read(buf, 0, (int) Math.max(1, Math.min(buf.length, max - count + 1)))) > 0) {
            count += n;
            if (count > max) {
                throw new ArtifactException(400, tooLarge.get());
            }
            out.write(buf, 0, n);
        }
        return count;
    }
}
