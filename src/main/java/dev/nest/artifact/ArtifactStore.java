package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The node's package store under {@code <data>/artifacts}: {@code code/<hex>/} holds each package unpacked,
 * named by its content digest, so that every sandbox of the same content shares one read-only directory and
 * a redeploy or rollback of known content costs no copy.
 *
 * <p>Ingesting unpacks into {@code staging/} first, runs the caller's preparation step there (for example
 * compiling Java sources), and only then moves the result into place atomically; a failed ingest leaves
 * nothing behind. Unpacking refuses entries that would escape the directory, and stops at
 * {@link PackageLimits}. Thread-safe: concurrent ingests of the same content converge on one directory.
 */
public final class ArtifactStore {
    private final Path code;
    private final Path staging;
    private final PackageLimits limits;

    public ArtifactStore(Path root, PackageLimits limits) {
        this.code = root.resolve("code");
        this.staging = root.resolve("staging");
        this.limits = limits;
        try {
            Files.createDirectories(code);
            Files.createDirectories(staging);
            cleanStaging();
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot create the artifact store in " + root + ": " + e.getMessage(), e);
        }
    }

    private void cleanStaging() throws IOException {
        try (var s = Files.list(staging)) {
            for (Path p : s.toList()) {
                deleteTree(p);
            }
        }
    }

    /** The unpacked directory of {@code digest}, if this node has it. */
    public Optional<Artifact> find(String digest) {
        Path dir = code.resolve(hex(digest));
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        return Optional.of(new Artifact(digest, -1, -1, dir));
    }

    /**
     * Unpacks a zip package, verifies its bounds, runs {@code prepare} on the staged directory, and stores it.
     *
     * @throws ArtifactException 400 naming the entry and the rule it broke
     */
    public Artifact ingestZip(InputStream zip, Consumer<Path> prepare) {
        Path stage = staging.resolve(UUID.randomUUID().toString());
        Path spooled = staging.resolve(stage.getFileName() + ".zip");
        try {
            Files.createDirectories(stage);
            // Spool first: a zip's central directory is at its end, and reading it is the only way to tell a
            // complete upload from one cut short.
            try (OutputStream out = Files.newOutputStream(spooled)) {
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                int n;
                while ((n = zip.read(buf)) > 0) {
                    total += n;
                    if (total > limits.maxBytes()) {
                        throw new ArtifactException(400, "the package is larger than " + limits.maxBytes()
                                + " bytes; make it smaller or raise the limit");
                    }
                    out.write(buf, 0, n);
                }
            }
            TreeMap<String, String> hashes = new TreeMap<>();
            long total = 0;
            try (ZipFile file = new ZipFile(spooled.toFile(), StandardCharsets.UTF_8)) {
                if (file.size() > limits.maxEntries()) {
                    throw new ArtifactException(400, "the package has more than " + limits.maxEntries() + " entries ("
                            + file.size() + "); leave build caches and test data out of the package");
                }
                byte[] buf = new byte[64 * 1024];
                for (var it = file.entries().asIterator(); it.hasNext(); ) {
                    ZipEntry e = it.next();
                    String rel = safeName(e.getName());
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
                    MessageDigest md = sha256();
                    try (InputStream in = file.getInputStream(e);
                         OutputStream out = new DigestOutputStream(Files.newOutputStream(target), md)) {
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            total += n;
                            if (total > limits.maxBytes()) {
                                throw new ArtifactException(400, "the package unpacks to more than " + limits.maxBytes()
                                        + " bytes; make it smaller or raise the limit");
                            }
                            out.write(buf, 0, n);
                        }
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
            return commit(stage, digestOf(hashes), hashes.size(), total, prepare);
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot store the package: " + e.getMessage(), e);
        } finally {
            quietDelete(stage);
            quietDelete(spooled);
        }
    }

    /**
     * Stores a directory (a config-file function's {@code code}). When this content is already stored the
     * call only hashes the files.
     */
    public Artifact ingestDirectory(Path dir, Consumer<Path> prepare) {
        if (!Files.isDirectory(dir)) {
            throw new ArtifactException(400, "code directory " + dir + " does not exist or is not a directory");
        }
        Path root = realPath(dir);
        Map<String, Path> files = new TreeMap<>();
        long[] total = {0};
        try {
            Files.walkFileTree(root, java.util.Set.of(java.nio.file.FileVisitOption.FOLLOW_LINKS), 64, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    if (d.getFileName() != null && d.getFileName().toString().equals(".git")) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    if (!d.toRealPath().startsWith(root)) {
                        throw new ArtifactException(400, "link " + d + " points outside the code directory " + root);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    if (!attrs.isRegularFile()) {
                        throw new ArtifactException(400, f + " is not a regular file (device, socket or fifo); remove it from the code directory");
                    }
                    if (!f.toRealPath().startsWith(root)) {
                        throw new ArtifactException(400, "link " + f + " points outside the code directory " + root);
                    }
                    total[0] += attrs.size();
                    if (files.size() >= limits.maxEntries() || total[0] > limits.maxBytes()) {
                        throw new ArtifactException(400, "code directory " + root + " holds more than "
                                + limits.maxEntries() + " files or " + limits.maxBytes() + " bytes");
                    }
                    files.put(root.relativize(f).toString().replace('\\', '/'), f);
                    return FileVisitResult.CONTINUE;
                }
            });
            TreeMap<String, String> hashes = new TreeMap<>();
            for (var e : files.entrySet()) {
                hashes.put(e.getKey(), hashFile(e.getValue()));
            }
            if (hashes.isEmpty()) {
                throw new ArtifactException(400, "code directory " + root + " is empty");
            }
            String digest = digestOf(hashes);
            Optional<Artifact> existing = find(digest);
            if (existing.isPresent()) {
                return new Artifact(digest, hashes.size(), total[0], existing.get().codeDir());
            }
            Path stage = staging.resolve(UUID.randomUUID().toString());
            try {
                for (var e : files.entrySet()) {
                    Path t = stage.resolve(e.getKey());
                    Files.createDirectories(t.getParent());
                    Files.copy(e.getValue(), t);
                }
                return commit(stage, digest, hashes.size(), total[0], prepare);
            } finally {
                quietDelete(stage);
            }
        } catch (IOException e) {
            throw new ArtifactException(500, "cannot read code directory " + root + ": " + e.getMessage(), e);
        }
    }

    private Artifact commit(Path stage, String digest, int files, long bytes, Consumer<Path> prepare) throws IOException {
        Path target = code.resolve(hex(digest));
        if (Files.isDirectory(target)) {
            return new Artifact(digest, files, bytes, target);
        }
        prepare.accept(stage);
        makeReadOnly(stage);
        try {
            Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
            // another ingest of the same content won; its directory is equal
        } catch (AtomicMoveNotSupportedException e) {
            throw new ArtifactException(500, "the artifact directory must be on one file system: " + e.getMessage(), e);
        }
        return new Artifact(digest, files, bytes, target);
    }

    private static void makeReadOnly(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                f.toFile().setWritable(false, false);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Normalises a zip entry name and refuses absolute paths and '..'. */
    static String safeName(String name) {
        String n = name.replace('\\', '/');
        if (n.startsWith("/") || n.matches("^[A-Za-z]:.*") || n.contains("\0")) {
            throw new ArtifactException(400, "package entry '" + name + "' is an absolute path; use paths relative to the function's directory");
        }
        for (String part : n.split("/")) {
            if (part.equals("..")) {
                throw new ArtifactException(400, "package entry '" + name + "' points outside the package; use relative paths without '..'");
            }
        }
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
    }

    private static Path realPath(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            throw new ArtifactException(400, "code directory " + dir + " cannot be read: " + e.getMessage(), e);
        }
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

    private static String hashFile(Path f) throws IOException {
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

    static String hex(String digest) {
        if (!digest.matches("sha256:[0-9a-f]{64}")) {
            throw new ArtifactException(400, "'" + digest + "' is not a package digest; expected sha256:<64 hex digits>");
        }
        return digest.substring(7);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void quietDelete(Path p) {
        try {
            deleteTree(p);
        } catch (IOException ignored) {
            // staging is cleaned again at the next start
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
