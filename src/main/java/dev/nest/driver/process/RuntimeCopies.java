package dev.nest.driver.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Gives hosts that run as another user a readable copy of the files their launch command names when those files
 * are not readable by others (Nest installed or checked out under {@code /root} or a private temporary directory):
 * {@link #readable} rewrites the command so that each such file (the host script, a class path element: a jar or a
 * directory of classes) names {@code <root>/<sha-256 of its content>/<its file name>} instead. A JavaScript host
 * ({@code .js}, {@code .mjs}, {@code .cjs}) loads modules from its own directory, so its whole directory is copied
 * and the command names the script inside that copy (a change of a sibling alone is seen at the next driver start).
 *
 * <p>The copies: {@code <root>} (default {@link #DEFAULT_ROOT}) and each {@code <sha>} directory are created by
 * Nest's user with mode 0755 and checked before use to be real directories owned by Nest's user and writable by
 * nobody else (a directory planted in {@code /var/tmp} is refused); files are 0444 (0555 when executable), the
 * directories of a copied directory 0755. A copy is named after its content, so a changed jar gets a new copy; a
 * copy already present (from this or an earlier run) is reused once its content is verified, otherwise replaced.
 * A copy is written next to its final name and renamed into place, so a reader never sees a partial one.
 *
 * <p>Cost: nothing for a command whose files are readable (checked once per file and modification); a file that
 * needs a copy is hashed and copied (or verified) once per change of the original while this object lives, then
 * every start costs one {@code stat} per file of the command (two when copied: the copy may have been cleaned
 * away, e.g. by {@code systemd-tmpfiles}, and is then made again).
 *
 * <p>Limits: a directory counts as changed only when its own modification time or size changes (a class
 * recompiled deep inside it keeps the copy until the next driver start). The program itself (the command's first element) is never copied (a JDK or node binary does not
 * work away from its installation): it must be readable by others. Arguments that are neither absolute paths
 * of existing regular files nor elements of a class path are left as they are. Old copies are not removed.
 *
 * <p>Failure: {@link #readable} throws {@link IOException} when a copy cannot be made or verified (the root is
 * owned by another user, the disk is full); the caller reports it.
 *
 * <p>Thread-safe: concurrent starts may copy the same file at once; each writes its own temporary copy and the
 * renames leave one complete copy in place.
 */
final class RuntimeCopies {
    static final Path DEFAULT_ROOT = Path.of("/var/tmp/nest-runtimes");
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("r--r--r--");
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("r-xr-xr-x");
    private static final Set<String> CLASS_PATH_FLAGS = Set.of("-cp", "-classpath", "--class-path");

    private final Path root;
    /** Per absolute path named in a command: what it was when last looked at, and the path pods are given. */
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();

    private record Seen(FileTime modified, long size, String path) {
    }

    RuntimeCopies(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /**
     * {@code command} with every file a pod could not read replaced by a readable copy; the same list when all
     * are readable.
     */
    List<String> readable(List<String> command) throws IOException {
        List<String> out = new ArrayList<>(command.size());
        boolean changed = false;
        for (int i = 0; i < command.size(); i++) {
            String arg = command.get(i);
            boolean classPath = arg.contains(":") || (i > 0 && CLASS_PATH_FLAGS.contains(command.get(i - 1)));
            if (i == 0 || !(arg.startsWith("/") || classPath)) {
                out.add(arg);
                continue;
            }
            String[] parts = arg.split(":", -1);
            for (int j = 0; j < parts.length; j++) {
                String part = parts[j];
                Path p = Path.of(part);
                if (!part.startsWith("/") || !Files.exists(p) || (!classPath && !Files.isRegularFile(p))) {
                    continue;
                }
                String given = given(part, p);
                if (!given.equals(part)) {
                    parts[j] = given;
                    changed = true;
                }
            }
            out.add(String.join(":", parts));
        }
        return changed ? List.copyOf(out) : command;
    }

    /** The path a pod is given for {@code p}: itself when others can read it, else its copy. */
    private String given(String part, Path p) throws IOException {
        FileTime modified = Files.getLastModifiedTime(p);
        long size = Files.size(p);
        Seen s = seen.get(part);
        if (fresh(s, part, modified, size)) {
            return s.path();
        }
        return givenSlow(part, p, modified, size);
    }

    /** Whether {@code s} still holds: the original unchanged, and its copy (if any) not cleaned away meanwhile. */
    private static boolean fresh(Seen s, String part, FileTime modified, long size) {
        return s != null && s.modified().equals(modified) && s.size() == size
                && (s.path().equals(part) || Files.exists(Path.of(s.path()), LinkOption.NOFOLLOW_LINKS));
    }

    /** One copy at a time: concurrent first starts of pods wait for one copy of the jar instead of making several. */
    private synchronized String givenSlow(String part, Path p, FileTime modified, long size) throws IOException {
        Seen s = seen.get(part);
        if (fresh(s, part, modified, size)) {
            return s.path();
        }
        String path = part;
        if (PodFiles.unreadableByOthers(List.of("", "-cp", part)).isPresent()) {
            Path real = p.toRealPath();
            // a JavaScript host loads modules that sit beside it (require('./host-common')): its directory comes along
            path = (module(real) ? copy(real.getParent()).resolve(real.getFileName().toString()) : copy(real)).toString();
        }
        seen.put(part, new Seen(modified, size, path));
        return path;
    }

    /** Whether {@code p} is a JavaScript module, which may load the files beside it. */
    static boolean module(Path p) {
        String name = p.getFileName().toString();
        return Files.isRegularFile(p) && (name.endsWith(".js") || name.endsWith(".mjs") || name.endsWith(".cjs"));
    }

    /** The verified copy of {@code source} (a regular file or a directory tree), made if missing or wrong. */
    Path copy(Path source) throws IOException {
        String sha = hash(source);
        ownedDirectory(root, true);
        Path dir = root.resolve(sha);
        ownedDirectory(dir, false);
        Path target = dir.resolve(source.getFileName().toString());
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && verified(target, sha)) {
            return target;
        }
        Path tmp = dir.resolve("." + source.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            copyTree(source, tmp);
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                // a directory cannot be replaced by a rename; move the wrong one away first
                Path old = dir.resolve("." + source.getFileName() + ".old-" + UUID.randomUUID());
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                delete(old);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (java.nio.file.FileSystemException e) {
            // another start put the same copy in place meanwhile
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) || !verified(target, sha)) {
                throw e;
            }
        } finally {
            delete(tmp);
        }
        return target;
    }

    private static boolean verified(Path target, String sha) throws IOException {
        return ownedReadOnly(target) && hash(target).equals(sha);
    }

    /** Whether every entry of the copy is Nest's and not writable by anyone (a symlink never is). */
    private static boolean ownedReadOnly(Path target) throws IOException {
        try (Stream<Path> s = Files.walk(target)) {
            for (Path p : s.toList()) {
                if (Files.isSymbolicLink(p) || !isNests(p)) {
                    return false;
                }
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                if (!(Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? perms.equals(DIR)
                        : perms.equals(FILE) || perms.equals(EXECUTABLE))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void copyTree(Path source, Path to) throws IOException {
        if (Files.isDirectory(source)) {
            Files.createDirectory(to);
            try (Stream<Path> s = Files.list(source)) {
                for (Path child : s.sorted().toList()) {
                    copyTree(child, to.resolve(child.getFileName().toString()));
                }
            }
            Files.setPosixFilePermissions(to, DIR);
        } else if (Files.isRegularFile(source)) {
            Files.copy(source, to);
            Files.setPosixFilePermissions(to, Files.isExecutable(source) ? EXECUTABLE : FILE);
        }
    }

    /** SHA-256 over a file's content, or over a tree's relative names, kinds and file contents (sorted). */
    static String hash(Path source) throws IOException {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!Files.isDirectory(source)) {
            digest(d, source);
            return HexFormat.of().formatHex(d.digest());
        }
        try (Stream<Path> s = Files.walk(source)) {
            for (Path p : s.sorted(Comparator.comparing(Path::toString)).toList()) {
                boolean isDir = Files.isDirectory(p);
                if (!isDir && !Files.isRegularFile(p)) {
                    continue;
                }
                d.update((source.relativize(p) + (isDir ? "/" : "") + "\0").getBytes(StandardCharsets.UTF_8));
                if (!isDir) {
                    digest(d, p);
                    d.update((byte) 0);
                }
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static void digest(MessageDigest d, Path file) throws IOException {
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        }
    }

    /**
     * Creates {@code dir} (0755) unless present, then checks that it is a directory (not a link) owned by Nest's
     * user and that no one else can write to it; for the root also that pods can pass through its parents.
     */
    private static void ownedDirectory(Path dir, boolean isRoot) throws IOException {
        if (isRoot) {
            Files.createDirectories(dir.getParent());
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR));
        } catch (FileAlreadyExistsException ignored) {
            // checked below
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !isNests(dir)) {
            throw new IOException(dir + " is not a directory owned by Nest's user; remove it");
        }
        Files.setPosixFilePermissions(dir, DIR);
        if (isRoot && !PodFiles.othersCanPassThrough(dir)) {
            throw new IOException("other users cannot pass through a parent of " + dir);
        }
    }

    private static boolean isNests(Path p) throws IOException {
        return Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).equals(
                Files.getOwner(p.getFileSystem().getPath("/proc/self"), LinkOption.NOFOLLOW_LINKS));
    }

    private static void delete(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
