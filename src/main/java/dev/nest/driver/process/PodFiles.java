package dev.nest.driver.process;

import dev.nest.driver.process.HostLaunch.PodUser;
import dev.nest.spi.CodeViews;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * The file system side of isolating hosts that run as their own user (Nest runs as root):
 * <pre>
 *   data/              0711 root   a pod may pass through, not list
 *     (everything else) owner-only   H2, ZooKeeper, artifacts and code, nest.lock, ...
 *     pods/            0711 root
 *       &lt;pod&gt;/        0711 root   the pod cannot create, rename or rewrite anything here
 *         pid          0600 root   {@link PidFile}
 *         work/        0700 pod    HOME and TMPDIR (the node agent's scratch dir of the pod)
 *         code/        0750 root:pod-gid
 *           &lt;version&gt;/ 0755 root   hard links to the files of one loaded code version (read-only inodes)
 * </pre>
 * A pod reaches the code of a version only once it is loaded into it ({@link #codeView}): the node's code
 * directory stays owner-only, and the view holds hard links to its (read-only) files in directories that only
 * the pod's group can enter ({@link CodeViews}, shared with the container drivers). Creating the links costs one
 * {@code link(2)} per file; where the code is on another file system the files are copied instead.
 *
 * <p>Pods must be able to pass through every parent of their directory. When a parent of the data directory
 * does not let others through (a data directory under {@code /root} or a private temporary directory), the pod
 * directories live in {@code /var/tmp/nest-pods/<hash of the data path>/} instead ({@link #podsRoot}), the
 * data directory becomes 0700, and code views are copies where hard links cannot cross file systems.
 *
 * <p>The files of a host's launch command (the Java host's jar, the Node.js host script) that other users cannot
 * read are given to pods as readable copies outside the data directory ({@link RuntimeCopies}).
 *
 * <p>Limits: an entry created at the top of the data directory by another module after the last
 * {@link #protectDataDir} keeps its mode until the next pod starts (the driver re-applies it at every start);
 * a path outside the data directory is only as private as its own modes make it.
 */
final class PodFiles {
    private static final Set<PosixFilePermission> TRAVERSE_ONLY = PosixFilePermissions.fromString("rwx--x--x");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> GROUP_ENTER = PosixFilePermissions.fromString("rwxr-x---");
    private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final Path dataDir;
    private final Path podsDir;

    PodFiles(Path dataDir, Path podsDir) {
        this.dataDir = dataDir;
        this.podsDir = podsDir;
    }

    static final Path FALLBACK_ROOT = Path.of("/var/tmp/nest-pods");

    /**
     * Where the pod directories of {@code dataDir} live: {@code <data>/pods} unless pods run as other users and a
     * parent of {@code dataDir} keeps them out, then {@code <fallback>/<hash of the data path>}.
     */
    static Path podsRoot(Path dataDir, boolean isolated, Path fallback) {
        Path data = dataDir.toAbsolutePath().normalize();
        if (!isolated || othersCanPassThrough(data.getParent())) {
            return data.resolve("pods");
        }
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(data.toString().getBytes(
                    java.nio.charset.StandardCharsets.UTF_8));
            return fallback.resolve(java.util.HexFormat.of().formatHex(d, 0, 8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code dir} and all its parents let others through (search permission), following symlinks. */
    static boolean othersCanPassThrough(Path dir) {
        try {
            for (Path p = dir.toRealPath(); p != null; p = p.getParent()) {
                if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The first file named in {@code command} that exists but that other users cannot read, if any: a host running
     * as a pod uid could not start from it. Looked at: absolute arguments that are regular files (the program, the
     * host script), and the absolute elements of a class path ({@code -cp} argument or {@code :}-separated list).
     */
    static java.util.Optional<Path> unreadableByOthers(java.util.List<String> command) {
        for (int i = 0; i < command.size(); i++) {
            String arg = command.get(i);
            boolean classPath = arg.contains(":") || (i > 0 && java.util.Set.of("-cp", "-classpath", "--class-path")
                    .contains(command.get(i - 1)));
            for (String part : arg.split(":")) {
                Path p = Path.of(part);
                if (!part.startsWith("/") || !Files.exists(p) || (!classPath && !Files.isRegularFile(p))) {
                    continue;
                }
                try {
                    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                    boolean readable = perms.contains(PosixFilePermission.OTHERS_READ)
                            && (!Files.isDirectory(p) || perms.contains(PosixFilePermission.OTHERS_EXECUTE));
                    if (!readable || !othersCanPassThrough(p.toRealPath().getParent())) {
                        return java.util.Optional.of(p);
                    }
                } catch (IOException e) {
                    return java.util.Optional.of(p);
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** Makes the data directory owner-only (Nest and its pods share a user: there is nothing to let pods through). */
    void closeDataDir() throws IOException {
        Files.createDirectories(dataDir);
        Files.setPosixFilePermissions(dataDir, OWNER_ONLY_DIR);
    }

    /**
     * Lets pods pass through the data directory to {@code pods/} and nothing else: the directory becomes 0711
     * and every other entry at its top loses all group and other permissions.
     */
    void protectDataDir() throws IOException {
        Files.createDirectories(dataDir);
        if (!podsDir.getParent().equals(dataDir)) {
            // the pods live elsewhere (see podsRoot): nothing needs to pass through the data directory
            Files.setPosixFilePermissions(dataDir, OWNER_ONLY_DIR);
            createOwnedByNest(podsDir.getParent());
            createOwnedByNest(podsDir);
            return;
        }
        Files.createDirectories(podsDir);
        Files.setPosixFilePermissions(dataDir, TRAVERSE_ONLY);
        Files.setPosixFilePermissions(podsDir, TRAVERSE_ONLY);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dataDir)) {
            for (Path p : ds) {
                if (p.equals(podsDir) || Files.isSymbolicLink(p)) {
                    continue;
                }
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                if (perms.removeAll(GROUP_OR_OTHER)) {
                    Files.setPosixFilePermissions(p, perms);
                }
            }
        }
    }

    /** Creates {@code dir} (0711) and checks that Nest owns it: a directory in /var/tmp may have been planted. */
    private static void createOwnedByNest(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (Files.isSymbolicLink(dir) || !Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).equals(
                Files.getOwner(dir.getFileSystem().getPath("/proc/self"), LinkOption.NOFOLLOW_LINKS))) {
            throw new IOException(dir + " is not a directory owned by Nest's user; remove it");
        }
        Files.setPosixFilePermissions(dir, TRAVERSE_ONLY);
    }

    /** Creates the pod's directory (root, 0711) and its scratch directory {@code workDir} (the pod's, 0700). */
    Path preparePod(String podId, Path workDir, PodUser user) throws IOException {
        Path dir = podDir(podId);
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, TRAVERSE_ONLY);
        Files.createDirectories(workDir);
        Files.setPosixFilePermissions(workDir, OWNER_ONLY_DIR);
        chown(workDir, user.uid(), user.gid());
        return dir;
    }

    Path podDir(String podId) {
        return podsDir.resolve(podId);
    }

    /** Writes {@code text} to the pod's pid file, readable and writable by Nest only. */
    void writePidFile(String podId, String text) throws IOException {
        Path dir = podDir(podId);
        Files.createDirectories(dir);
        Path tmp = dir.resolve("pid.tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
        Files.writeString(tmp, text);
        Files.move(tmp, dir.resolve("pid"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The pod's read-only view of {@code codeDir}, created on first use ({@link CodeViews}):
     * {@code <pod>/code/<name of codeDir>}.
     */
    Path codeView(String podId, Path codeDir, PodUser user) throws IOException {
        Path views = podDir(podId).resolve("code");
        Files.createDirectories(views);
        chown(views, 0, user.gid());
        Files.setPosixFilePermissions(views, GROUP_ENTER);
        return CodeViews.view(views, codeDir, codeDir.toAbsolutePath().normalize().getFileName().toString());
    }

    private static void chown(Path p, int uid, int gid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }
}
